package jenkins

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// ConsoleChunk describes one read of a build's console.
type ConsoleChunk struct {
	// Next is the offset to ask for next (Jenkins' X-Text-Size).
	Next int64
	// More is true while the log can still grow. The log is complete only
	// when Jenkins stops saying so, which can be after the build JSON says
	// it has finished.
	More bool
	// Written counts the bytes copied to the writer.
	Written int64
	// Resent is true when Jenkins answered an offset beyond the end of the
	// log by sending the whole log again; the body was dropped rather than
	// printed twice.
	Resent bool
}

// Console copies the console of build number of job, from byte offset
// start, to w, as Jenkins sends it (raw bytes, ConsoleNote blobs and CRLF
// included: see ConsoleCleaner). The body is streamed, so a huge log takes
// constant memory; only the context's deadline bounds it.
func (c *Client) Console(ctx context.Context, job JobPath, number int, start int64, w io.Writer) (ConsoleChunk, error) {
	u, err := c.buildPath(job, number, "logText/progressiveText")
	if err != nil {
		return ConsoleChunk{Next: start, More: true}, err
	}
	u.RawQuery = "start=" + strconv.FormatInt(start, 10)
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, stream: true,
		header: http.Header{"Accept": {"text/plain, */*;q=0.1"}}})
	if err != nil {
		return ConsoleChunk{Next: start, More: true}, err
	}
	if resp.StatusCode != http.StatusOK {
		return ConsoleChunk{Next: start, More: true}, c.newError(resp)
	}
	defer resp.Body.Close()
	ch := ConsoleChunk{Next: start, More: resp.Header.Get("X-More-Data") != ""}
	size, sizeErr := strconv.ParseInt(resp.Header.Get("X-Text-Size"), 10, 64)
	if sizeErr == nil && size < start {
		// start was beyond the end: Jenkins sends the whole log from 0.
		// What this client printed up to start stays printed; drop the
		// repeat and carry on from Jenkins' end.
		ch.Resent, ch.Next = true, size
		_, _ = io.Copy(io.Discard, resp.Body)
		return ch, nil
	}
	n, err := io.Copy(w, resp.Body)
	ch.Written = n
	if err != nil {
		// The offset is not advanced: the chunk is asked for again, and
		// the writer has seen a prefix of it at most once more.
		ch.More = true
		if ctx.Err() != nil {
			return ch, &url.Error{Op: "Get", URL: redactURL(u), Err: ctx.Err()}
		}
		return ch, &url.Error{Op: "Get", URL: redactURL(u), Err: err}
	}
	if sizeErr != nil {
		// Very old Jenkins: no X-Text-Size; the body length is the best
		// guess.
		size = start + n
	}
	ch.Next = size
	return ch, nil
}

// ConsoleCleaner turns Jenkins' raw console bytes into plain text for a
// log, as a streaming io.Writer in constant memory:
//
//   - ConsoleNote blobs (ESC[8mha:<base64>ESC[0m, hidden markup for the web
//     page) are removed, also when a blob is split across writes;
//   - CRLF becomes LF;
//   - a UTF-8 character split across writes is written whole, and invalid
//     bytes become U+FFFD, so a reader never sees half a character.
//
// Other escape sequences (colours) are kept. Close writes what is held
// back (an incomplete note marker, a lone CR) and must be called at the end.
type ConsoleCleaner struct {
	w       io.Writer
	held    []byte // an incomplete marker, CR or UTF-8 sequence at the end of the last write
	inNote  bool
	out     []byte
	lastNL  bool
	written bool
}

var (
	noteStart = []byte("\x1b[8mha:")
	noteEnd   = []byte("\x1b[0m")
)

// maxHeld bounds what a cleaner keeps between writes: the longest marker.
const maxHeld = 8

// NewConsoleCleaner returns a cleaner writing to w.
func NewConsoleCleaner(w io.Writer) *ConsoleCleaner {
	return &ConsoleCleaner{w: w, lastNL: true}
}

// Write cleans p and writes the result. It reports len(p) unless the
// underlying writer fails.
func (c *ConsoleCleaner) Write(p []byte) (int, error) {
	data := p
	if len(c.held) > 0 {
		data = append(c.held, p...)
		c.held = nil
	}
	c.out = c.out[:0]
	for len(data) > 0 {
		if c.inNote {
			i := bytes.Index(data, noteEnd)
			if i < 0 {
				// Keep a possible start of the end marker.
				c.held = append(c.held[:0], tailPrefix(data, noteEnd)...)
				data = nil
				break
			}
			data = data[i+len(noteEnd):]
			c.inNote = false
			continue
		}
		i := bytes.IndexByte(data, 0x1b)
		j := bytes.IndexByte(data, '\r')
		k := len(data)
		if i >= 0 && i < k {
			k = i
		}
		if j >= 0 && j < k {
			k = j
		}
		c.out = append(c.out, data[:k]...)
		data = data[k:]
		if len(data) == 0 {
			break
		}
		if data[0] == '\r' {
			if len(data) == 1 {
				c.held = append(c.held[:0], '\r')
				data = nil
				break
			}
			if data[1] != '\n' {
				c.out = append(c.out, '\r') // a progress line: keep it
			}
			data = data[1:]
			continue
		}
		// ESC: a note, the start of one, or another sequence.
		if bytes.HasPrefix(data, noteStart) {
			c.inNote = true
			data = data[len(noteStart):]
			continue
		}
		if len(data) < len(noteStart) && bytes.HasPrefix(noteStart, data) {
			c.held = append(c.held[:0], data...)
			data = nil
			break
		}
		c.out = append(c.out, 0x1b)
		data = data[1:]
	}
	// Hold back an incomplete UTF-8 sequence at the end.
	if len(c.held) == 0 {
		if cut := incompleteUTF8(c.out); cut > 0 {
			c.held = append(c.held[:0], c.out[len(c.out)-cut:]...)
			c.out = c.out[:len(c.out)-cut]
		}
	}
	if err := c.emit(c.out); err != nil {
		return 0, err
	}
	if cap(c.out) > 64<<10 {
		c.out = nil // do not keep a huge chunk's buffer
	}
	return len(p), nil
}

func (c *ConsoleCleaner) emit(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if !utf8.Valid(b) {
		b = replaceInvalidUTF8(b)
	}
	c.lastNL = b[len(b)-1] == '\n'
	c.written = true
	_, err := c.w.Write(b)
	return err
}

// replaceInvalidUTF8 replaces each maximal invalid subpart with one
// U+FFFD, as Unicode recommends (and browsers do): a lone byte, or the
// start of a sequence that breaks off ("\xe2\x9c" is one replacement).
// Unlike bytes.ToValidUTF8, which folds a whole run of invalid bytes into
// one, the result does not depend on where the log was cut into reads.
func replaceInvalidUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			out = append(out, b[:size]...)
			b = b[size:]
			continue
		}
		out = append(out, "\uFFFD"...)
		b = b[invalidSubpart(b):]
	}
	return out
}

// invalidSubpart returns the length of the maximal subpart of an invalid
// sequence at the start of b: the lead byte and the continuation bytes
// that could still have followed it.
func invalidSubpart(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 2
	case c == 0xE0:
		need, lo = 3, 0xA0
	case c == 0xED:
		need, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 3
	case c == 0xF0:
		need, lo = 4, 0x90
	case c == 0xF4:
		need, hi = 4, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 4
	default:
		return 1 // a stray continuation byte, or a byte that never leads
	}
	n := 1
	for n < need && n < len(b) && b[n] >= lo && b[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}

// Close writes what was held back. Inside an unterminated note nothing is
// written: it is markup, not text.
func (c *ConsoleCleaner) Close() error {
	held := c.held
	c.held = nil
	if c.inNote || len(held) == 0 {
		return nil
	}
	return c.emit(held)
}

// EndsWithNewline reports whether the text written so far ends with a line
// break (true when nothing was written), so a caller can finish the last
// line before printing its own.
func (c *ConsoleCleaner) EndsWithNewline() bool { return c.lastNL }

// tailPrefix returns the longest suffix of data that is a proper prefix of
// marker.
func tailPrefix(data, marker []byte) []byte {
	for n := min(len(marker)-1, len(data)); n > 0; n-- {
		if bytes.HasPrefix(marker, data[len(data)-n:]) {
			return data[len(data)-n:]
		}
	}
	return nil
}

// incompleteUTF8 returns how many bytes at the end of b start a UTF-8
// sequence that is not complete yet (0 when b ends on a boundary or with
// bytes that can never be valid).
func incompleteUTF8(b []byte) int {
	for n := 1; n <= utf8.UTFMax-1 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a leading byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if n < need {
				return n
			}
			return 0
		}
	}
	return 0
}

// String describes the chunk, for logs.
func (ch ConsoleChunk) String() string {
	return fmt.Sprintf("next=%d more=%t written=%d resent=%t", ch.Next, ch.More, ch.Written, ch.Resent)
}
