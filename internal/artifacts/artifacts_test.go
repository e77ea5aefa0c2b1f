package artifacts

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"dist/*.tar.gz", []string{"dist/app.tar.gz"}, []string{"app.tar.gz", "dist/sub/app.tar.gz", "dist/app.zip"}},
		{"**/report.html", []string{"report.html", "a/report.html", "a/b/c/report.html"}, []string{"a/report.htm", "report.html/x"}},
		{"build/**", []string{"build/x", "build/a/b"}, []string{"build2/x", "other/build/x"}},
		{"a/**/b/*.txt", []string{"a/b/x.txt", "a/1/2/b/x.txt"}, []string{"a/x.txt", "a/b/c/x.txt"}},
		{"**/**/*.jar", []string{"x.jar", "a/b/x.jar"}, []string{"x.war"}},
		{"./logs/?.log", []string{"logs/1.log"}, []string{"logs/10.log"}},
		{"[ab]*/x", []string{"a1/x", "b/x"}, []string{"c/x"}},
		{"*", []string{"file"}, []string{"dir/file"}},
	}
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tc.match {
				if !p.Match(m) {
					t.Errorf("%q does not match %q", tc.pattern, m)
				}
			}
			for _, m := range tc.nomatch {
				if p.Match(m) {
					t.Errorf("%q matches %q", tc.pattern, m)
				}
			}
		})
	}
}

func TestParsePatterns(t *testing.T) {
	t.Parallel()
	ps, err := ParsePatterns("dist/*.tar.gz\n\n  **/report.html  \n# a comment\r\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if want := []string{"dist/*.tar.gz", "**/report.html"}; !reflect.DeepEqual(got, want) {
		t.Errorf("patterns %q, want %q", got, want)
	}
	for _, bad := range []string{"/etc/*", "../x", "a//b", `a\b`, "a/**x/b", "[", "./"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePatterns("ok\n" + bad); err == nil || !strings.Contains(err.Error(), "line 2") {
				t.Errorf("ParsePatterns(%q) = %v, want an error naming line 2", bad, err)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	ps, err := ParsePatterns("dist/*.tar.gz\n**/report.html\nmissing/*")
	if err != nil {
		t.Fatal(err)
	}
	sel, unmatched := Select(ps, []string{"dist/app.tar.gz", "dist/app.zip", "tests/report.html", "report.html"})
	if want := []string{"dist/app.tar.gz", "tests/report.html", "report.html"}; !reflect.DeepEqual(sel, want) {
		t.Errorf("selected %q, want %q", sel, want)
	}
	if len(unmatched) != 1 || unmatched[0].String() != "missing/*" {
		t.Errorf("unmatched %v", unmatched)
	}
}

func write(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestDirWrite(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	d, err := OpenDir(base, "jenkins-artifacts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if err := d.Write("dist/sub/app.tar.gz", write("one")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write("dist/sub/app.tar.gz", write("two")); err != nil {
		t.Fatalf("replacing an existing file: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(base, "jenkins-artifacts", "dist", "sub", "app.tar.gz"))
	if err != nil || string(b) != "two" {
		t.Errorf("content %q, %v", b, err)
	}
	entries, _ := os.ReadDir(filepath.Join(base, "jenkins-artifacts", "dist", "sub"))
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestDirWriteFailedDownloadLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a")
	d, err := OpenDir(filepath.Dir(dir), filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	boom := errors.New("connection reset")
	err = d.Write("x/file.bin", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "x"))
	if len(entries) != 0 {
		t.Errorf("a failed download left %v", entries)
	}
}

func TestDirWriteRefusesEscapes(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "artifacts")
	d, err := OpenDir(filepath.Dir(dir), filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	// A link planted in the directory, pointing outside, as a step or an
	// earlier archive could leave one.
	if err := os.Symlink(outside, filepath.Join(dir, "evil")); err != nil {
		t.Fatal(err)
	}
	// A link pointing inside is refused too: the directories below are the
	// action's own, so a link there is never expected.
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "inner")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "target"), filepath.Join(dir, "file-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plainfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{
		"/etc/passwd", "../outside/x", "a/../../outside/x", "a/..", "..", "a\\..\\x", "a\x00b", "a\nb", "", "a//b", "./a",
		"evil/x", "evil/deeper/x", "inner/x", "file-link", "plainfile/x",
	} {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			err := d.Write(rel, write("pwned"))
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("Write(%q) = %v, want ErrUnsafePath", rel, err)
			}
		})
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(outside)
		if len(entries) != 0 {
			t.Errorf("files written outside: %v", entries)
		}
	})
}

func TestCheckPath(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a", "a/b.txt", "dist/app 1.0+b#1%.tar.gz", "..a/b..", "a/.hidden"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("CheckPath(%q) = %v", ok, err)
		}
	}
}

// A checked-out repository may carry a symbolic link where artifacts-dir
// (or a folder above it) should be: downloads must not follow it.
func TestOpenDirRefusesSymlinkedDir(t *testing.T) {
	t.Parallel()
	ws, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(ws, "jenkins-artifacts")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "out")); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"jenkins-artifacts", "out/sub"} {
		if d, err := OpenDir(ws, rel); err == nil {
			d.Close()
			t.Errorf("OpenDir(ws, %q) followed a symbolic link out of the workspace", rel)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("something was created outside the workspace: %v", entries)
	}
}

func TestCheckPathRefusesGitDirectories(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{".git/hooks/post-checkout", "sub/.GIT/config", ".git"} {
		if err := CheckPath(rel); err == nil {
			t.Errorf("CheckPath(%q) = nil, want a refusal", rel)
		}
	}
	if err := CheckPath("docs/.github/x"); err != nil {
		t.Errorf("CheckPath refused a harmless .github path: %v", err)
	}
}
