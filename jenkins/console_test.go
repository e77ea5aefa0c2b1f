package jenkins_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// clean runs data through a ConsoleCleaner in writes of the given sizes
// (cycled).
func clean(t *testing.T, data []byte, sizes ...int) string {
	t.Helper()
	var out bytes.Buffer
	c := jenkins.NewConsoleCleaner(&out)
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		if _, err := c.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestConsoleCleanerGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"progressive-text-body-running-pipeline-with-console-notes.txt",
		"progressive-text-body-freestyle.txt",
		"console-text-freestyle-git.txt",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := readFixture(t, name)
			got := clean(t, in, len(in))
			golden := filepath.Join("testdata", "console", strings.TrimSuffix(name, ".txt")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("cleaned console differs from %s:\n%s", golden, got)
			}
			if strings.Contains(got, "\x1b[8m") || strings.Contains(got, "ha:////") || strings.Contains(got, "\r\n") {
				t.Error("a console note or a CRLF survived")
			}
			// The same text must come out whatever the read sizes: a note,
			// a CRLF or a character split between two reads.
			for _, sizes := range [][]int{{1}, {2}, {3}, {7}, {13, 1, 5}, {4096}} {
				if got2 := clean(t, in, sizes...); got2 != got {
					t.Errorf("writes of %v bytes give a different text:\n%q\nwant\n%q", sizes, got2, got)
				}
			}
		})
	}
}

func TestConsoleCleanerCases(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"note stripped", "a\x1b[8mha:////ABC+/=\x1b[0mb\r\n", "ab\n"},
		{"colours kept", "\x1b[31mred\x1b[0m\n", "\x1b[31mred\x1b[0m\n"},
		{"ESC[8m without ha: kept", "\x1b[8mhidden\x1b[0m", "\x1b[8mhidden\x1b[0m"},
		{"lone CR kept (progress)", "10%\r20%\r\n", "10%\r20%\n"},
		{"CR at the very end kept", "x\r", "x\r"},
		{"multi-byte characters", "héllo wörld ✓ 🚀\r\n", "héllo wörld ✓ 🚀\n"},
		{"invalid bytes replaced", "a\xffb\n", "a\uFFFDb\n"},
		{"truncated character at the end", "ab\xe2\x9c", "ab\uFFFD"},
		{"workflow commands are text here", "::add-mask::x\n", "::add-mask::x\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, size := range []int{1, 2, 3, 1000} {
				if got := clean(t, []byte(tc.in), size); got != tc.want {
					t.Errorf("writes of %d: got %q, want %q", size, got, tc.want)
				}
			}
		})
	}
}

// utf8Writer fails the test when a write is not valid UTF-8 on its own: a
// reader (the runner's log) must never see half a character.
type utf8Writer struct {
	t   *testing.T
	buf bytes.Buffer
}

func (w *utf8Writer) Write(p []byte) (int, error) {
	if !utf8.Valid(p) {
		w.t.Errorf("write of invalid UTF-8: %q", p)
	}
	return w.buf.Write(p)
}

func TestConsoleCleanerNeverWritesHalfACharacter(t *testing.T) {
	t.Parallel()
	in := []byte("ünïcödé ✓ 漢字 🚀\r\n")
	for i := 1; i < len(in); i++ {
		w := &utf8Writer{t: t}
		c := jenkins.NewConsoleCleaner(w)
		_, _ = c.Write(in[:i])
		_, _ = c.Write(in[i:])
		_ = c.Close()
		if w.buf.String() != "ünïcödé ✓ 漢字 🚀\n" {
			t.Errorf("split at %d: %q", i, w.buf.String())
		}
	}
}

// maxWriteWriter records the largest write it got.
type maxWriteWriter struct{ n, max int }

func (w *maxWriteWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.max = max(w.max, len(p))
	return len(p), nil
}

func TestConsoleStreamsHugeLog(t *testing.T) {
	t.Parallel()
	// 16 MiB of log in one answer must reach the writer in small pieces,
	// never whole: the client streams, it does not read the body first.
	line := "\x1b[8mha:////4Bp5mQUxZRi+wjikn6hzszZhb1EY9UkvnIH0tqqlBOy5AAAAlx+L\x1b[0m[Pipeline] echo some output here\r\n"
	chunk := strings.Repeat(line, (1<<20)/len(line))
	log := make([]string, 16)
	for i := range log {
		log[i] = chunk
	}
	srv := newFake(t, jenkinstest.WithAnonymous(jenkinstest.AllPermissions...), jenkinstest.WithCSRF(false),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "big", Build: jenkinstest.BuildScript{Log: log}}))
	c := newClient(t, srv.URL)
	ctx := context.Background()
	job := mustJob(t, "big")
	q, _ := c.Trigger(ctx, job, jenkins.TriggerOptions{})
	if _, err := c.QueueItem(ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	w := &maxWriteWriter{}
	cl := jenkins.NewConsoleCleaner(w)
	ch, err := c.Console(ctx, job, 1, 0, cl)
	if err != nil || ch.More {
		t.Fatalf("%v, %v", ch, err)
	}
	_ = cl.Close()
	if want := 16 * len(chunk) / len(line) * len("[Pipeline] echo some output here\n"); w.n < want {
		t.Errorf("wrote %d bytes, want at least %d", w.n, want)
	}
	if w.max > 64<<10 {
		t.Errorf("largest write %d bytes: the log was buffered, not streamed", w.max)
	}
}

func TestConsoleOffsets(t *testing.T) {
	t.Parallel()
	clock := jenkinstest.NewFakeClock(time.Unix(1_700_000_000, 0))
	srv := newFake(t, jenkinstest.WithClock(clock.Now), jenkinstest.WithAnonymous(jenkinstest.AllPermissions...), jenkinstest.WithCSRF(false),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "j", Build: jenkinstest.BuildScript{Duration: 10 * time.Second, Log: []string{"one\n", "two\n"}}}))
	c := newClient(t, srv.URL)
	ctx := context.Background()
	job := mustJob(t, "j")
	q, _ := c.Trigger(ctx, job, jenkins.TriggerOptions{})
	if _, err := c.QueueItem(ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ch, err := c.Console(ctx, job, 1, 0, &out)
	if err != nil || !ch.More || ch.Next != int64(out.Len()) {
		t.Fatalf("first read: %v, %v (%q)", ch, err, out.String())
	}
	clock.Advance(time.Minute)
	ch, err = c.Console(ctx, job, 1, ch.Next, &out)
	if err != nil || ch.More {
		t.Fatalf("second read: %v, %v", ch, err)
	}
	if want := "Started by remote host 127.0.0.1\r\none\ntwo\nFinished: SUCCESS\r\n"; out.String() != want {
		t.Errorf("console %q, want %q", out.String(), want)
	}
	// An offset beyond the end makes Jenkins send the whole log again:
	// nothing may be printed twice.
	ch, err = c.Console(ctx, job, 1, ch.Next+100, &out)
	if err != nil || !ch.Resent || ch.Written != 0 || ch.More {
		t.Errorf("beyond the end: %v, %v", ch, err)
	}
	if _, err := c.Console(ctx, job, 9, 0, io.Discard); err == nil {
		t.Error("console of a missing build: no error")
	}
	var starts []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/progressiveText") {
			starts = append(starts, r.Query.Get("start"))
		}
	}
	if len(starts) < 2 || starts[0] != "0" || starts[1] == "0" {
		t.Errorf("start offsets %v: the second read must continue at X-Text-Size", starts)
	}
}
