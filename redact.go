package main

import (
	"bytes"
	"io"
	"sort"
	"sync"
)

// redactor replaces known secrets with *** in everything the step prints,
// as a second line of defence behind ::add-mask::. It matters where no
// runner masks anything (GitLab, Tekton, a terminal), and where a secret
// comes back inside Jenkins' own text (an error page that echoes a
// parameter). The ::add-mask:: commands themselves must reach the runner
// unchanged, so lines that start with one pass through.
type redactor struct {
	mu      sync.Mutex
	secrets [][]byte // longest first, so a secret inside another is not half-replaced
}

func (r *redactor) add(s string) {
	if len(s) < 4 { // too short to mask without mangling ordinary text
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, old := range r.secrets {
		if string(old) == s {
			return
		}
	}
	r.secrets = append(r.secrets, []byte(s))
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) redact(p []byte) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if bytes.Contains(p, s) {
			p = bytes.ReplaceAll(p, s, []byte("***"))
		}
	}
	return p
}

// writer wraps w. Every Write is redacted line by line; the reporter
// writes whole lines.
func (r *redactor) writer(w io.Writer) io.Writer { return &redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *redactor
	w io.Writer
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	var out []byte
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("::add-mask::")) {
			out = append(out, line...)
			continue
		}
		out = append(out, rw.r.redact(line)...)
	}
	if _, err := rw.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
