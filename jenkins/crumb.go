package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

// Crumb is a CSRF token from Jenkins' crumb issuer. It is only valid together
// with the session cookie that came with it, which the client keeps in its
// cookie jar.
type Crumb struct {
	// Field is the header (or form field) name to send the crumb in:
	// "Jenkins-Crumb" on Jenkins 2, ".crumb" on 1.x, or whatever the server
	// was configured with.
	Field string
	Value string
}

// apiTokenPattern matches the API tokens Jenkins generates: "11" and 32 hex
// digits since 2.129, or 32 hex digits for legacy tokens. Passwords almost
// never look like this; when one does, the trigger still succeeds, at the
// cost of one refused POST.
var apiTokenPattern = regexp.MustCompile(`^(11)?[0-9a-f]{32}$`)

// looksLikeAPIToken reports whether secret is probably an API token, which
// Jenkins accepts without a crumb (since 2.96).
func looksLikeAPIToken(secret string) bool { return apiTokenPattern.MatchString(secret) }

// Crumb returns the crumb for this client's session, fetching it from
// {base}/crumbIssuer/api/json the first time. It returns nil, nil when
// Jenkins has CSRF protection switched off (the issuer answers 404).
func (c *Client) Crumb(ctx context.Context) (*Crumb, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crumbKnown {
		return c.crumb, nil
	}
	return c.fetchCrumbLocked(ctx)
}

// refreshCrumb forgets the cached crumb and fetches a new one, for a session
// that Jenkins no longer accepts.
func (c *Client) refreshCrumb(ctx context.Context) (*Crumb, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.crumbKnown, c.crumb = false, nil
	return c.fetchCrumbLocked(ctx)
}

func (c *Client) fetchCrumbLocked(ctx context.Context) (*Crumb, error) {
	u := c.resolve("crumbIssuer/api/json")
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u})
	if err != nil {
		return nil, fmt.Errorf("get a CSRF crumb: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		drain(resp)
		c.crumbKnown, c.crumb = true, nil
		c.logf("Jenkins has CSRF protection switched off (no crumb issuer)")
		return nil, nil
	default:
		return nil, fmt.Errorf("get a CSRF crumb: %w", c.newError(resp))
	}
	defer drain(resp)
	var v struct {
		Crumb             string `json:"crumb"`
		CrumbRequestField string `json:"crumbRequestField"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&v); err != nil {
		return nil, fmt.Errorf("get a CSRF crumb: %s answered 200 but not with crumb JSON (%v); is url the Jenkins root URL?", redactURL(u), err)
	}
	if v.Crumb == "" || v.CrumbRequestField == "" || !validHeaderName(v.CrumbRequestField) {
		return nil, fmt.Errorf("get a CSRF crumb: %s answered without a usable crumb or crumbRequestField", redactURL(u))
	}
	c.reportSecret(v.Crumb)
	for _, ck := range c.hc.Jar.Cookies(u) {
		c.reportSecret(ck.Value)
	}
	c.crumb = &Crumb{Field: v.CrumbRequestField, Value: v.Crumb}
	c.crumbKnown = true
	return c.crumb, nil
}

// validHeaderName reports whether s is an HTTP token, usable as a header
// name.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		case ch == '!' || ch == '#' || ch == '$' || ch == '%' || ch == '&' || ch == '\'' || ch == '*' ||
			ch == '+' || ch == '-' || ch == '.' || ch == '^' || ch == '_' || ch == '`' || ch == '|' || ch == '~':
		default:
			return false
		}
	}
	return true
}

// ErrNoCrumbIssuer is returned (wrapped together with the *Error) when
// Jenkins refused a POST for want of a crumb although its crumb issuer
// answered 404, which means CSRF protection is off. Both cannot be true of
// one Jenkins: the client was most likely given a URL that is not the
// Jenkins root (a missing or extra context path).
var ErrNoCrumbIssuer = errors.New("Jenkins wants a CSRF crumb, but the crumb issuer answered 404: the URL is probably not the Jenkins root URL (check the context path, e.g. /jenkins)")

// crumbError marks failures to get a crumb, so callers can tell them from a
// POST whose answer was lost: no POST was sent.
type crumbError struct{ err error }

func (e *crumbError) Error() string { return e.err.Error() }
func (e *crumbError) Unwrap() error { return e.err }

// post sends a POST with the crumb handling every Jenkins POST needs, and
// returns Jenkins' answer whatever its status, except a refusal by the crumb
// filter, which it handles:
//
//   - with a secret that looks like an API token, no crumb is sent (Jenkins
//     does not check crumbs for token-authenticated requests);
//   - otherwise the crumb is fetched once per client (with its session
//     cookie) and sent in the header Jenkins names;
//   - a 403 "No valid crumb" means the POST did nothing (the crumb filter
//     runs before any action), so it is sent once more with a new crumb; a
//     second refusal is an error.
//
// An empty form sends an empty body. requests, when not nil, is incremented
// for every request sent.
func (c *Client) post(ctx context.Context, u *url.URL, form url.Values, requests *int) (*http.Response, error) {
	count := func() {
		if requests != nil {
			*requests++
		}
	}
	c.mu.Lock()
	known, crumb := c.crumbKnown, c.crumb
	c.mu.Unlock()
	// A crumb already fetched is always sent: it costs nothing, and a
	// token-shaped password that needed one once needs it every time.
	if !known && (c.user == "" || !looksLikeAPIToken(c.secret)) {
		count()
		cr, err := c.Crumb(ctx)
		if err != nil {
			return nil, &crumbError{err}
		}
		known, crumb = true, cr
	}
	for attempt := 0; ; attempt++ {
		r := request{method: http.MethodPost, url: u}
		if len(form) > 0 {
			r.form = form
		}
		if crumb != nil {
			r.header = http.Header{}
			r.header.Set(crumb.Field, crumb.Value)
		}
		count()
		resp, err := c.do(ctx, r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusForbidden {
			return resp, nil
		}
		jerr := c.newError(resp)
		if !errors.Is(jerr, ErrNoCrumb) || attempt > 0 {
			return nil, jerr
		}
		if known && crumb == nil {
			// The issuer said 404 (CSRF off), yet the filter wants a
			// crumb: the issuer was not where it was looked for.
			return nil, fmt.Errorf("%w: %w", ErrNoCrumbIssuer, jerr)
		}
		if crumb != nil {
			c.logf("Jenkins refused the crumb (the session may have expired); getting a new one")
		}
		count()
		cr, err := c.refreshCrumb(ctx)
		if err != nil {
			return nil, &crumbError{err}
		}
		if cr == nil {
			return nil, fmt.Errorf("%w: %w", ErrNoCrumbIssuer, jerr)
		}
		known, crumb = true, cr
	}
}
