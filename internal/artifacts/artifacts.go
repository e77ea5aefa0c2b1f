// Package artifacts chooses build artifacts by glob pattern and places
// them in a local directory that paths supplied by a Jenkins server cannot
// escape. It knows nothing of Jenkins or GitHub: paths are "/"-separated
// strings, as Jenkins' relativePath is.
package artifacts

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// Pattern is one glob: path.Match syntax within a path element, and "**"
// as a whole element for any number of elements (none included), so
// "**/report.html" matches "report.html" and "a/b/report.html".
type Pattern struct {
	text  string
	elems []string
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.text }

// ParsePatterns reads patterns one a line. Blank lines and lines starting
// with "#" are skipped; surrounding spaces are trimmed. A leading "./" is
// dropped, since artifact paths are relative to the archive anyway.
func ParsePatterns(s string) ([]Pattern, error) {
	var out []Pattern
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := ParsePattern(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParsePattern parses one pattern.
func ParsePattern(text string) (Pattern, error) {
	t := strings.TrimPrefix(text, "./")
	if t == "" {
		return Pattern{}, fmt.Errorf("pattern %q is empty", text)
	}
	if strings.HasPrefix(t, "/") {
		return Pattern{}, fmt.Errorf("pattern %q is absolute: artifact paths are relative to the build's archive (dist/*.tar.gz)", text)
	}
	if strings.Contains(t, `\`) {
		return Pattern{}, fmt.Errorf("pattern %q contains a backslash: separate folders with /", text)
	}
	elems := strings.Split(t, "/")
	for _, e := range elems {
		switch {
		case e == "" || e == "." || e == "..":
			return Pattern{}, fmt.Errorf("pattern %q has an empty, \".\" or \"..\" element", text)
		case e == "**":
		case strings.Contains(e, "**"):
			return Pattern{}, fmt.Errorf("pattern %q: ** must be a whole path element (**/x, a/**/b)", text)
		default:
			if _, err := path.Match(e, ""); err != nil {
				return Pattern{}, fmt.Errorf("pattern %q: %w", text, err)
			}
		}
	}
	return Pattern{text: text, elems: elems}, nil
}

// Match reports whether the "/"-separated relative path rel matches p.
func (p Pattern) Match(rel string) bool {
	return matchElems(p.elems, strings.Split(rel, "/"))
}

func matchElems(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of ** and try every split point.
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if matchElems(pat, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// Select returns the paths that match any pattern, in the order given, and
// the patterns that matched none (worth a warning: a typo, or a build that
// archived less than expected).
func Select(patterns []Pattern, paths []string) (selected []string, unmatched []Pattern) {
	hit := make([]bool, len(patterns))
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		if seen[p] {
			continue // Jenkins lists a path once; a repeat is not a second file
		}
		seen[p] = true
		chosen := false
		for i, pat := range patterns {
			if pat.Match(p) {
				hit[i] = true
				chosen = true
			}
		}
		if chosen {
			selected = append(selected, p)
		}
	}
	for i, pat := range patterns {
		if !hit[i] {
			unmatched = append(unmatched, pat)
		}
	}
	return selected, unmatched
}

// ErrUnsafePath is returned (wrapped) for a path that could write outside
// the directory: absolute, with "..", backslashes, NUL or other control
// characters, or through a symbolic link.
var ErrUnsafePath = errors.New("unsafe artifact path")

// CheckPath reports whether rel is a plain relative path: "/"-separated
// names, none empty, "." or "..", without backslashes or control
// characters.
func CheckPath(rel string) error {
	switch {
	case rel == "":
		return fmt.Errorf("%w: empty path", ErrUnsafePath)
	case strings.HasPrefix(rel, "/"):
		return fmt.Errorf("%w %q: absolute", ErrUnsafePath, rel)
	case strings.Contains(rel, `\`):
		return fmt.Errorf("%w %q: contains a backslash", ErrUnsafePath, rel)
	}
	for _, r := range rel {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w %q: contains a control character", ErrUnsafePath, rel)
		}
	}
	for _, e := range strings.Split(rel, "/") {
		switch e {
		case "..":
			return fmt.Errorf("%w %q: contains ..", ErrUnsafePath, rel)
		case "", ".":
			return fmt.Errorf("%w %q: has an empty or \".\" element", ErrUnsafePath, rel)
		}
		if strings.EqualFold(e, ".git") {
			// A file there (hooks, config) would run code in later steps.
			return fmt.Errorf("%w %q: writes into a .git directory", ErrUnsafePath, rel)
		}
	}
	return nil
}

// Dir is a download directory. Every file operation goes through an
// os.Root, so that even a symbolic link planted while a download runs
// cannot lead outside it; on top of that, Dir refuses to pass through any
// symbolic link at all, since it creates every directory below itself.
type Dir struct {
	root *os.Root
}

// OpenDir opens the directory rel below workspace, creating it (and the
// directories above it) when needed. rel must pass CheckPath, and no part
// of it may be a symbolic link: a checked-out repository can contain one
// (jenkins-artifacts -> /), and downloads must stay in the workspace.
func OpenDir(workspace, rel string) (*Dir, error) {
	if err := CheckPath(rel); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(workspace, 0o755); err != nil {
		return nil, err
	}
	ws, err := os.OpenRoot(workspace)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	w := &Dir{root: ws}
	parts := strings.Split(rel, "/")
	for i := range parts {
		if err := w.ensureDir(rel, strings.Join(parts[:i+1], "/")); err != nil {
			return nil, err
		}
	}
	r, err := ws.OpenRoot(rel)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Write creates the file rel below d with what fill writes into it. The
// data goes to a new temporary file beside the target, renamed into place
// only when fill succeeds, so a failed download leaves nothing behind and
// never a half-written file under the final name. An existing regular file
// is replaced.
func (d *Dir) Write(rel string, fill func(io.Writer) error) (err error) {
	if err := CheckPath(rel); err != nil {
		return err
	}
	elems := strings.Split(rel, "/")
	for i := 1; i < len(elems); i++ {
		if err := d.ensureDir(rel, strings.Join(elems[:i], "/")); err != nil {
			return err
		}
	}
	switch fi, err := d.root.Lstat(rel); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w %q: %s already exists and is not a regular file", ErrUnsafePath, rel, rel)
	}
	tmp := path.Join(path.Dir(rel), "."+path.Base(rel)+"."+randomHex()+".part")
	// O_EXCL: the name is new, and an existing link there is not followed;
	// O_NOFOLLOW says so again for the last element.
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = d.root.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Rename replaces the directory entry itself: it never writes through a
	// link that may have appeared at rel since the check above.
	return d.root.Rename(tmp, rel)
}

// ensureDir makes sure dir (a prefix of rel) is a real directory, creating
// it when missing, and refuses symbolic links.
func (d *Dir) ensureDir(rel, dir string) error {
	fi, err := d.root.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := d.root.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err = d.root.Lstat(dir)
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w %q: %s is a symbolic link", ErrUnsafePath, rel, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w %q: %s is not a directory", ErrUnsafePath, rel, dir)
	}
	return nil
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
