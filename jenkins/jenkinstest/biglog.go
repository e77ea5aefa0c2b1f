package jenkinstest

import "io"

// generatedLine is the length of every line of the generated log.
const generatedLine = 64

// GeneratedLog returns bytes [off, off+n) of the console BuildScript.LogSize
// generates: fixed-length numbered lines ending in CRLF, as Jenkins writes
// them ("line 0000000042 of the generated console ...\r\n"), so a test can
// check what it received without the server ever holding it.
func GeneratedLog(off, n int64) []byte {
	out := make([]byte, 0, n)
	var line [generatedLine]byte
	for n > 0 {
		i, pos := off/generatedLine, off%generatedLine
		fillLine(&line, i)
		k := min(n, generatedLine-pos)
		out = append(out, line[pos:pos+k]...)
		off, n = off+k, n-k
	}
	return out
}

// lineTemplate is a generated line; fillLine writes the number into it.
var lineTemplate = func() (t [generatedLine]byte) {
	n := copy(t[:], "line 0000000000 of the generated console")
	for ; n < generatedLine-2; n++ {
		t[n] = '.'
	}
	t[generatedLine-2], t[generatedLine-1] = '\r', '\n'
	return t
}()

func fillLine(line *[generatedLine]byte, i int64) {
	*line = lineTemplate
	for d := 14; d >= 5 && i > 0; d-- {
		line[d] = byte('0' + i%10)
		i /= 10
	}
}

// writeConsole writes text, gen bytes of the generated log and tail, from
// byte start on, through one small buffer: a log of any size costs the
// server the same memory.
func writeConsole(w io.Writer, text string, gen int64, tail string, start int64) {
	if start < int64(len(text)) {
		if _, err := io.WriteString(w, text[start:]); err != nil {
			return
		}
		start = int64(len(text))
	}
	start -= int64(len(text))
	buf := make([]byte, 0, 32<<10)
	var line [generatedLine]byte
	for start < gen {
		i, pos := start/generatedLine, start%generatedLine
		fillLine(&line, i)
		k := min(gen-start, generatedLine-pos)
		buf = append(buf, line[pos:pos+k]...)
		start += k
		if len(buf) > cap(buf)-generatedLine || start == gen {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	start -= gen
	if start < int64(len(tail)) {
		_, _ = io.WriteString(w, tail[start:])
	}
}
