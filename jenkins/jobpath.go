package jenkins

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// JobPath is the full name of a Jenkins job as a list of item names, outermost
// folder first: "team/deploy" is JobPath{"team", "deploy"}.
//
// Each element is an item name exactly as Jenkins stores it. A multibranch
// branch "feature/login" is stored by Jenkins under the name
// "feature%2Flogin", so its full name is "app/feature%2Flogin" and its URL
// segment is "feature%252Flogin"; JobPath keeps the name and escapes it only
// when it builds a URL.
type JobPath []string

// ErrInvalidJobPath is returned (wrapped) for job names and job URLs that
// cannot name a Jenkins job.
var ErrInvalidJobPath = errors.New("invalid job")

// ParseJobPath parses a job's full name, folders separated by "/", as shown
// on the job's page in Jenkins ("Full project name"). Leading and trailing
// slashes are ignored; empty, "." and ".." segments are rejected, and so are
// characters that Jenkins never allows in an item name and that would change
// the meaning of a URL.
func ParseJobPath(fullName string) (JobPath, error) {
	s := strings.TrimSpace(fullName)
	s = strings.Trim(s, "/")
	if s == "" {
		return nil, fmt.Errorf("%w: the job name is empty", ErrInvalidJobPath)
	}
	parts := strings.Split(s, "/")
	for i, p := range parts {
		if err := checkItemName(p); err != nil {
			return nil, fmt.Errorf("%w %q: segment %d: %v", ErrInvalidJobPath, fullName, i+1, err)
		}
	}
	return JobPath(parts), nil
}

// checkItemName rejects names that cannot be a Jenkins item and that would
// otherwise let a job name reach another URL than the job's.
func checkItemName(name string) error {
	switch name {
	case "":
		return errors.New("empty name (two slashes in a row?)")
	case ".", "..":
		return fmt.Errorf("%q is not an item name", name)
	}
	if !utf8.ValidString(name) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range name {
		switch {
		case r == ';' || r == '?' || r == '#' || r == '\\' || r == ':':
			return fmt.Errorf("%q is not allowed in a Jenkins item name", r)
		case unicode.IsControl(r):
			return errors.New("control characters are not allowed")
		}
	}
	if strings.TrimSpace(name) != name {
		return errors.New("leading or trailing spaces")
	}
	return nil
}

// String returns the job's full name, as Jenkins shows it ("team/deploy").
func (p JobPath) String() string { return strings.Join(p, "/") }

// Name returns the job's own name, without its folders.
func (p JobPath) Name() string {
	if len(p) == 0 {
		return ""
	}
	return p[len(p)-1]
}

// relPath returns the job's escaped path relative to the Jenkins root,
// "job/team/job/deploy/": every name is escaped exactly once, because Jenkins
// decodes every segment exactly once.
func (p JobPath) relPath() string {
	var b strings.Builder
	for _, name := range p {
		b.WriteString("job/")
		b.WriteString(escapeSegment(name))
		b.WriteByte('/')
	}
	return b.String()
}

// escapeSegment escapes one path segment the way Jenkins expects: UTF-8,
// upper-case hex, "/" and "%" escaped, "+" kept literal. url.PathEscape does
// exactly that.
func escapeSegment(s string) string { return url.PathEscape(s) }

// ParseJobURL turns the URL of a job, as copied from the browser
// (https://ci.example.com/jenkins/job/team/job/deploy/), into its JobPath.
// The URL must lie under base (same scheme, host and context path); view
// segments (/view/NAME/) are skipped, and a trailing action such as /build
// or a build number is not allowed, so that a pasted link never triggers
// something other than the job.
func ParseJobURL(base, jobURL string) (JobPath, error) {
	b, err := parseBaseURL(base)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(jobURL))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL: %v", ErrInvalidJobPath, redactURLString(jobURL), unwrapURLError(err))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the job URL must not contain a user name or password", ErrInvalidJobPath)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: the job URL %s must not have a query or fragment", ErrInvalidJobPath, redactURL(u))
	}
	if !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) {
		return nil, fmt.Errorf("%w: the job URL %s is not on the Jenkins server %s; give the job's full name, or a URL under url", ErrInvalidJobPath, redactURL(u), redactURL(b))
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	if !strings.HasPrefix(p, b.EscapedPath()) {
		return nil, fmt.Errorf("%w: the job URL %s is not under the Jenkins URL %s (context path)", ErrInvalidJobPath, redactURL(u), redactURL(b))
	}
	rest := strings.Trim(strings.TrimPrefix(p, b.EscapedPath()), "/")
	if rest == "" {
		return nil, fmt.Errorf("%w: the URL %s names no job", ErrInvalidJobPath, redactURL(u))
	}
	segs := strings.Split(rest, "/")
	var path JobPath
	for i := 0; i < len(segs); i += 2 {
		kind := segs[i]
		if i+1 >= len(segs) {
			return nil, fmt.Errorf("%w: the job URL %s has %q where a job was expected; copy the job's URL, not a build's or a page's", ErrInvalidJobPath, redactURL(u), kind)
		}
		name, err := url.PathUnescape(segs[i+1])
		if err != nil {
			return nil, fmt.Errorf("%w: the job URL %s: %v", ErrInvalidJobPath, redactURL(u), err)
		}
		switch kind {
		case "view":
			continue
		case "job":
			if err := checkItemName(name); err != nil {
				return nil, fmt.Errorf("%w: the job URL %s: %v", ErrInvalidJobPath, redactURL(u), err)
			}
			path = append(path, name)
		default:
			return nil, fmt.Errorf("%w: the job URL %s has %q where /job/ was expected; copy the job's URL, not a build's or a page's", ErrInvalidJobPath, redactURL(u), kind)
		}
	}
	if len(path) == 0 {
		return nil, fmt.Errorf("%w: the URL %s names no job", ErrInvalidJobPath, redactURL(u))
	}
	return path, nil
}
