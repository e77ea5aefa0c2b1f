package jenkins_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// fixturesDir holds the real Jenkins payloads (see its SOURCES.md), the
// seed corpus of the fuzzers below, besides their inline seeds and the
// regression inputs in testdata/fuzz.
const fixturesDir = "testdata/jenkins-real"

// fixtureFiles returns the contents of the fixture files whose names end with
// one of suffixes.
func fixtureFiles(f *testing.F, suffixes ...string) map[string][]byte {
	f.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		for _, s := range suffixes {
			if strings.HasSuffix(e.Name(), s) {
				b, err := os.ReadFile(filepath.Join(fixturesDir, e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				out[e.Name()] = b
			}
		}
	}
	return out
}

func FuzzParametersRoundTrip(f *testing.F) {
	for _, s := range []string{"", "A=1", "BRANCH=main\nNOTE=a=b, c\n", "# comment\n\n  X = y \r\n", `{"A": "1", "B": true, "C": 3, "D": null}`, "=x", "A", "{", `{"A": {}}`, "A=1\nA=2"} {
		f.Add(s)
	}
	for _, b := range fixtureFiles(f, ".json") {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		ps, err := jenkins.ParseParameters(text)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if p.Name == "" || seen[p.Name] {
				t.Fatalf("empty or repeated name %q in %q", p.Name, text)
			}
			seen[p.Name] = true
			for _, r := range p.Name {
				if unicode.IsSpace(r) || unicode.IsControl(r) {
					t.Fatalf("name %q has a space or control character", p.Name)
				}
			}
			if strings.ContainsRune(p.Value, 0) || !utf8.ValidString(p.Value) {
				t.Fatalf("value %q has a NUL or invalid UTF-8", p.Value)
			}
		}
		if len(ps) == 0 {
			return
		}
		// Round trip through the JSON form: the same names and values, in
		// the same order.
		var b bytes.Buffer
		b.WriteByte('{')
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(p.Name)
			v, _ := json.Marshal(p.Value)
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		again, err := jenkins.ParseParameters(b.String())
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", b.String(), err)
		}
		if !reflect.DeepEqual(again, ps) {
			t.Fatalf("round trip changed %v into %v", ps, again)
		}
	})
}

const fuzzBase = "https://ci.example.com/jenkins/"

// checkJobURL asserts that the URL of p decodes, segment by segment as
// Jenkins decodes it, back to p's names, and parses back into p.
func checkJobURL(t *testing.T, p jenkins.JobPath) {
	t.Helper()
	c, err := jenkins.New(fuzzBase)
	if err != nil {
		t.Fatal(err)
	}
	u := c.JobURL(p)
	if !strings.HasPrefix(u, fuzzBase) {
		t.Fatalf("JobURL %q is not under %q", u, fuzzBase)
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.RawQuery != "" || parsed.Fragment != "" || parsed.Host != "ci.example.com" {
		t.Fatalf("JobURL %q does not parse as a plain URL on the host: %v", u, err)
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(u, fuzzBase), "/"), "/")
	if len(segs) != 2*len(p) {
		t.Fatalf("JobURL %q has %d segments for %d names", u, len(segs), len(p))
	}
	for i, name := range p {
		if segs[2*i] != "job" {
			t.Fatalf("JobURL %q: segment %d is %q, want job", u, 2*i, segs[2*i])
		}
		esc := segs[2*i+1]
		if strings.ContainsAny(esc, "/?#;") || esc == "." || esc == ".." {
			t.Fatalf("escaped segment %q of %q can change the URL's meaning", esc, name)
		}
		dec, err := url.PathUnescape(esc)
		if err != nil || dec != name {
			t.Fatalf("segment %q decodes to %q (%v), want %q", esc, dec, err, name)
		}
	}
	again, err := jenkins.ParseJobURL(fuzzBase, u)
	if err != nil {
		t.Fatalf("ParseJobURL(JobURL(%q)): %v", p, err)
	}
	if !reflect.DeepEqual(again, p) {
		t.Fatalf("ParseJobURL(JobURL(%q)) = %q", p, again)
	}
}

func FuzzJobPathURL(f *testing.F) {
	for _, s := range []string{"plain", "team/deploy", "app/feature%2Flogin", "a b/c+d", "ünï/cödé", "/lead/", "a//b", "..", "a/./b", "x;y", "x?y", "x#y", "%", "%%", "a%zz"} {
		f.Add(s)
	}
	for _, b := range fixtureFiles(f, "-tree.json", "multibranch-job.json", "job-folder.json") {
		var v struct {
			FullName string `json:"fullName"`
			Name     string `json:"name"`
			Jobs     []struct {
				Name string `json:"name"`
			} `json:"jobs"`
		}
		if json.Unmarshal(b, &v) == nil {
			for _, s := range []string{v.FullName, v.Name} {
				if s != "" {
					f.Add(s)
				}
			}
			for _, j := range v.Jobs {
				f.Add(j.Name)
				if v.Name != "" {
					f.Add(v.Name + "/" + j.Name)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, fullName string) {
		p, err := jenkins.ParseJobPath(fullName)
		if err != nil {
			return
		}
		if len(p) == 0 {
			t.Fatalf("ParseJobPath(%q) = empty path, no error", fullName)
		}
		checkJobURL(t, p)
		again, err := jenkins.ParseJobPath(p.String())
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("ParseJobPath(%q) = %q, %v; want %q", p.String(), again, err, p)
		}
	})
}

func FuzzParseJobURL(f *testing.F) {
	for _, s := range []string{
		fuzzBase + "job/team/job/deploy/", fuzzBase + "view/all/job/a/", fuzzBase + "job/app/job/feature%252Flogin",
		fuzzBase + "job/a/42/", fuzzBase + "job/a/build", "https://other.example.com/jenkins/job/a/", "http://ci.example.com/jenkins/job/a/",
		fuzzBase + "job/a/?x=1", fuzzBase + "job/%2E%2E/", fuzzBase + "job/a%3Bb/", "https://u:p@ci.example.com/jenkins/job/a/",
	} {
		f.Add(s)
	}
	for _, b := range fixtureFiles(f, ".json") {
		// Every "url" of a job in the fixtures, moved onto the fuzz base.
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if s, ok := v["url"].(string); ok {
					if i := strings.Index(s, "/job/"); i >= 0 {
						f.Add(fuzzBase + s[i+1:])
					}
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := jenkins.ParseJobURL(fuzzBase, raw)
		if err != nil {
			return
		}
		for _, name := range p {
			if name == "" || name == "." || name == ".." || strings.ContainsAny(name, ";?#\\") {
				t.Fatalf("ParseJobURL(%q) accepted the name %q", raw, name)
			}
		}
		checkJobURL(t, p)
	})
}

func FuzzParseQueueLocation(f *testing.F) {
	for _, s := range []string{"https://ci.example.com/queue/item/42/", "http://internal:8080/jenkins/queue/item/7", "/jenkins/queue/item/9/", "queue/item/3/",
		"https://ci.example.com/job/a/", "", " ", "/queue/item/0/", "/queue/item/-1/", "/queue/item/+1/", "/queue/item/01/", "/queue/item/99999999999999999999/", "%zz"} {
		f.Add(s)
	}
	for _, b := range fixtureFiles(f, "headers.txt", "-headers-via-nginx.txt", "-jetty8-2014.txt", "-winstone-2015.txt", "-envoy-2020.txt") {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "location") {
				f.Add(strings.TrimSpace(v))
			}
		}
	}
	f.Fuzz(func(t *testing.T, loc string) {
		id, err := jenkins.ParseQueueLocation(loc)
		if err != nil {
			if id != 0 {
				t.Fatalf("error with id %d", id)
			}
			if !utf8.ValidString(err.Error()) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not one clean line", err.Error())
			}
			return
		}
		if id <= 0 {
			t.Fatalf("ParseQueueLocation(%q) = %d", loc, id)
		}
		back, err := jenkins.ParseQueueLocation(fmt.Sprintf("https://ci.example.com/queue/item/%d/", id))
		if err != nil || back != id {
			t.Fatalf("id %d does not round-trip: %d, %v", id, back, err)
		}
	})
}

func FuzzErrorMessage(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"text/html", "<html><title>Error 404 Not Found</title></html>"},
		{"application/json", `{"message":"boom"}`},
		{"text/plain", "first line\nsecond"},
		{"", "<h1>Error</h1><p>x &amp; y</p>"},
		{"text/html", "\x1b[31mred\x1b[0m"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	for name, b := range fixtureFiles(f, ".html", ".json", ".txt") {
		ct := "text/html;charset=utf-8"
		if strings.HasSuffix(name, ".json") {
			ct = "application/json"
		}
		f.Add(ct, b)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m := jenkins.ErrorMessage(contentType, body)
		if !utf8.ValidString(m) {
			t.Fatalf("message %q is not valid UTF-8", m)
		}
		for _, r := range m {
			if unicode.IsControl(r) {
				t.Fatalf("message %q contains control character %U", m, r)
			}
		}
		if n := utf8.RuneCountInString(m); n > 301 {
			t.Fatalf("message is %d runes long", n)
		}
		if strings.TrimSpace(m) != m {
			t.Fatalf("message %q is not trimmed", m)
		}
	})
}

// cleanConsole runs data through clean in chunks whose lengths (1 to 16)
// come from sizes (one chunk when sizes is empty).
func cleanConsole(t *testing.T, data, sizes []byte) string {
	t.Helper()
	if len(sizes) == 0 {
		return clean(t, data, max(len(data), 1))
	}
	n := make([]int, len(sizes))
	for i, s := range sizes {
		n[i] = int(s%16) + 1
	}
	return clean(t, data, n...)
}

// The console parser must give the same text however Jenkins' answers cut
// the log (progressiveText chunks end anywhere: inside a ConsoleNote, a
// CRLF or a UTF-8 character), and always valid UTF-8.
func FuzzConsoleCleaner(f *testing.F) {
	for _, s := range []string{"plain\r\nlines\r\n", "a\x1b[8mha:AAAA\x1b[0mb", "\x1b[31mred\x1b[0m", "progress\r50%\r100%\n", "é€😀", "\xff\xfe", "\x1b[8mha:unterminated", "\r"} {
		f.Add([]byte(s), []byte{1, 2, 3})
	}
	for _, b := range fixtureFiles(f, "console-text-freestyle-git.txt", "progressive-text-body-freestyle.txt", "progressive-text-body-running-pipeline-with-console-notes.txt") {
		f.Add(b, []byte{7, 1, 13})
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		whole := cleanConsole(t, data, nil)
		chunked := cleanConsole(t, data, sizes)
		if whole != chunked {
			t.Fatalf("chunks %v change the text:\nwhole   %q\nchunked %q", sizes, whole, chunked)
		}
		if !utf8.ValidString(whole) {
			t.Fatalf("output %q is not valid UTF-8", whole)
		}
	})
}
