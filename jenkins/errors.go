package jenkins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors for errors.Is against an *Error.
var (
	// ErrUnauthorized: Jenkins rejected the credentials (401).
	ErrUnauthorized = errors.New("jenkins: unauthorized")
	// ErrForbidden: the user lacks a permission, or the build token is wrong (403).
	ErrForbidden = errors.New("jenkins: forbidden")
	// ErrNoCrumb: the CSRF filter refused a POST (403 "No valid crumb"). Such a
	// POST has done nothing.
	ErrNoCrumb = errors.New("jenkins: no valid crumb")
	// ErrNotFound: no such item, or the user may not see it (404).
	ErrNotFound = errors.New("jenkins: not found")
	// ErrConflict: the job (or its folder) is disabled (409).
	ErrConflict = errors.New("jenkins: conflict")
)

// maxErrorBody bounds how much of an error page is read: Jenkins' HTML error
// pages are large, and only the message near the top matters.
const maxErrorBody = 256 << 10

// Error is an answer from Jenkins that the client treats as a failure.
type Error struct {
	Method     string // HTTP method of the request
	URL        string // request URL, redacted
	StatusCode int
	// Message is the text Jenkins gave, taken out of its HTML or JSON error
	// page; it may be empty.
	Message string
	// RequiredPermission is Jenkins' X-Required-Permission header, naming
	// the permission the user lacks (on 403s).
	RequiredPermission string
	// AuthenticatedAs is Jenkins' X-You-Are-Authenticated-As header.
	AuthenticatedAs string
	// Location is the Location header, for 3xx answers.
	Location string
	// RetryAfter is the Retry-After header of a 429 or 503 that the client
	// gave up on (the wait was longer than it, or the step, could wait).
	RetryAfter string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.StatusCode)) {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RetryAfter != "" && (e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable) {
		fmt.Fprintf(&b, " (Jenkins asked to retry after %s, longer than the client waits or the step has left)", e.RetryAfter)
	}
	if e.RequiredPermission != "" {
		fmt.Fprintf(&b, " (missing permission %s", e.RequiredPermission)
		if e.AuthenticatedAs != "" {
			fmt.Fprintf(&b, " for user %s", e.AuthenticatedAs)
		}
		b.WriteString(")")
	}
	if e.StatusCode >= 300 && e.StatusCode < 400 && e.Location != "" {
		b.WriteString(". ")
		b.WriteString(redirectHint(e.URL, e.Location))
	}
	return b.String()
}

// redirectHint explains a redirect the client did not follow. from is the
// (redacted) request URL, loc the Location header.
func redirectHint(from, loc string) string {
	f, err := url.Parse(from)
	if err != nil {
		return ""
	}
	l, err := f.Parse(strings.TrimSpace(loc))
	if err != nil {
		return fmt.Sprintf("Jenkins redirects to an invalid URL %q", cleanText(loc, 200))
	}
	to := redactURL(l)
	switch {
	case f.Scheme == "http" && l.Scheme == "https" && strings.EqualFold(f.Hostname(), l.Hostname()):
		return fmt.Sprintf("Jenkins redirects http:// to https:// (%s): use https:// in url", to)
	case f.Scheme == "http" && l.Scheme == "https":
		return fmt.Sprintf("Jenkins redirects http:// to https:// on another host (%s), which the client does not follow with your credentials: use https:// in url, with that host if it is Jenkins' address", to)
	case !strings.EqualFold(f.Host, l.Host) || f.Scheme != l.Scheme:
		return fmt.Sprintf("Jenkins redirects to another host (%s), which the client does not follow with your credentials: if that is the right address, set url to it", to)
	}
	return fmt.Sprintf("Jenkins redirects to %s: a proxy or single sign-on page may be in the way, or url is not the Jenkins root URL", to)
}

// Is lets errors.Is match the sentinel errors by status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNoCrumb:
		return e.StatusCode == http.StatusForbidden && isNoCrumbMessage(e.Message)
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	}
	return false
}

func isNoCrumbMessage(m string) bool {
	return strings.Contains(strings.ToLower(m), "no valid crumb")
}

// newError reads the body of a failed response (at most maxErrorBody bytes)
// and closes it.
func (c *Client) newError(resp *http.Response) *Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Before the message is cut and folded, which would leave a secret
	// that an error page echoes back in a shape no mask matches.
	body = c.redact(body)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	req := resp.Request
	e := &Error{
		StatusCode: resp.StatusCode,
		// And after: HTML entities decoded into a secret.
		Message:            string(c.redact([]byte(ErrorMessage(resp.Header.Get("Content-Type"), body)))),
		RequiredPermission: cleanText(resp.Header.Get("X-Required-Permission"), 200),
		AuthenticatedAs:    cleanText(resp.Header.Get("X-You-Are-Authenticated-As"), 200),
		Location:           resp.Header.Get("Location"),
		RetryAfter:         cleanText(resp.Header.Get("Retry-After"), 40),
	}
	if req != nil {
		e.Method = req.Method
		e.URL = redactURL(req.URL)
	}
	if e.Message == "" && resp.StatusCode == http.StatusForbidden {
		// Old Jetty put the reason only in the status line.
		if i := strings.Index(resp.Status, " "); i >= 0 {
			if s := strings.TrimSpace(resp.Status[i+1:]); !strings.EqualFold(s, "Forbidden") {
				e.Message = cleanText(s, 300)
			}
		}
	}
	return e
}

var (
	reJettyMessage = regexp.MustCompile(`(?is)<th>\s*MESSAGE:\s*</th>\s*<td>(.*?)</td>`)
	reJettyPre     = regexp.MustCompile(`(?is)Reason:\s*<pre>(.*?)</pre>`)
	reJenkinsError = regexp.MustCompile(`(?is)<div[^>]*id="error-description"[^>]*>(.*?)</div>`)
	reJenkinsH1P   = regexp.MustCompile(`(?is)<h1[^>]*>\s*(?:<[^>]+>\s*)*(?:Error|Oops!?)\s*(?:<[^>]+>\s*)*</h1>\s*<p[^>]*>(.*?)</p>`)
	reTitle        = regexp.MustCompile(`(?is)<title>(.*?)</title>`)
	reTags         = regexp.MustCompile(`(?s)<[^>]*>`)
	reErrorPrefix  = regexp.MustCompile(`^(?i:error|http error)\s+\d{3}\s*`)
)

// ErrorMessage extracts the human message from a Jenkins error body: a Jetty
// error page, a Jenkins (Stapler) error page, a JSON object with a
// "message", or plain text. It never returns HTML, and returns at most one
// short line.
func ErrorMessage(contentType string, body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if body[0] == '{' || strings.Contains(contentType, "json") {
		var v struct {
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		if json.Unmarshal(body, &v) == nil {
			if v.Message != "" {
				return cleanText(v.Message, 300)
			}
			return cleanText(v.Error, 300)
		}
	}
	s := string(body)
	looksHTML := strings.Contains(contentType, "html") || strings.HasPrefix(s, "<")
	if !looksHTML {
		line, _, _ := strings.Cut(s, "\n")
		return cleanText(line, 300)
	}
	for _, re := range []*regexp.Regexp{reJettyMessage, reJettyPre, reJenkinsError, reJenkinsH1P} {
		if m := re.FindStringSubmatch(s); m != nil {
			if t := htmlText(m[1]); t != "" {
				return t
			}
		}
	}
	if m := reTitle.FindStringSubmatch(s); m != nil {
		t := htmlText(m[1])
		t = reErrorPrefix.ReplaceAllString(t, "")
		t = strings.TrimSuffix(t, " - Jenkins")
		t = strings.TrimSuffix(t, " [Jenkins]")
		return t
	}
	return ""
}

func htmlText(s string) string {
	return cleanText(html.UnescapeString(reTags.ReplaceAllString(s, " ")), 300)
}

// cleanText makes text from Jenkins safe to print on one line: control
// characters (escape sequences, line breaks) become spaces, runs of space are
// folded, invalid UTF-8 is replaced, and the result is cut to max runes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		width := 1
		if space {
			width = 2
		}
		if n+width > max {
			// Cut before the space, too: the result is at most max runes
			// and the ellipsis.
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		b.WriteRune(r)
		n++
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return ""
	}
	return out
}
