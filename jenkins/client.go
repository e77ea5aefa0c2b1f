package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultUserAgent is sent when no WithUserAgent option is given.
const DefaultUserAgent = "jenkins-trigger-go"

// DefaultRequestTimeout bounds one HTTP exchange, body included, unless the
// context ends sooner. Jenkins answers API calls in milliseconds; a request
// that takes longer than this is stuck, not slow.
const DefaultRequestTimeout = 30 * time.Second

// Client talks to one Jenkins server. It is safe for concurrent use. Building
// one does no network I/O.
type Client struct {
	base      *url.URL // always ends in "/"
	hc        *http.Client
	user      string
	secret    string
	userAgent string
	timeout   time.Duration
	onSecret  func(string)
	logf      func(format string, args ...any)
	backoff   Backoff
	// sleep waits between retries; tests replace it to wait for nothing.
	sleep func(ctx context.Context, d time.Duration) error

	secretsMu sync.Mutex
	secrets   []string // every secret seen, for redact

	mu         sync.Mutex
	crumb      *Crumb // nil until fetched
	crumbKnown bool   // true once the issuer answered (crumb may still be nil: CSRF off)
}

// Option configures a Client. Options validate their input.
type Option func(*Client) error

// WithHTTPClient makes the client use a copy of hc: its Transport (proxy,
// TLS) is used, but the copy gets its own cookie jar and redirect policy,
// because the session cookie and "never follow a POST redirect" are part of
// talking to Jenkins correctly. hc itself is not changed.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("jenkins: WithHTTPClient: nil client")
		}
		cp := *hc
		c.hc = &cp
		return nil
	}
}

// WithBasicAuth authenticates every request as user with secret, which may
// be an API token (recommended) or the user's password.
func WithBasicAuth(user, secret string) Option {
	return func(c *Client) error {
		if user == "" && secret != "" {
			return errors.New("jenkins: a token or password was given without a user name")
		}
		if user != "" && secret == "" {
			return fmt.Errorf("jenkins: user %q was given without a token or password", user)
		}
		if strings.ContainsAny(user, ":\r\n") {
			return errors.New("jenkins: the user name must not contain ':' or line breaks")
		}
		c.user, c.secret = user, secret
		return nil
	}
}

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("jenkins: invalid User-Agent")
		}
		c.userAgent = ua
		return nil
	}
}

// WithRequestTimeout bounds each HTTP exchange (the context may end it
// sooner). Zero means DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return errors.New("jenkins: negative request timeout")
		}
		if d == 0 {
			d = DefaultRequestTimeout
		}
		c.timeout = d
		return nil
	}
}

// WithSecretHandler registers f to be called with every secret the client
// learns from Jenkins (the crumb and the session cookie) before the secret is
// used, so that a caller can mask it in its logs. It is also called with the
// credentials given to WithBasicAuth when New returns.
func WithSecretHandler(f func(secret string)) Option {
	return func(c *Client) error {
		c.onSecret = f
		return nil
	}
}

// WithLogf sets where the client reports what it does that a user may want
// to know (a crumb fetch, a repeated request). Messages never contain
// secrets. The default discards them.
func WithLogf(f func(format string, args ...any)) Option {
	return func(c *Client) error {
		if f != nil {
			c.logf = f
		}
		return nil
	}
}

// New returns a client for the Jenkins server at baseURL, which includes any
// context path ("https://ci.example.com/jenkins"); a trailing slash is
// optional.
func New(baseURL string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		userAgent: DefaultUserAgent,
		timeout:   DefaultRequestTimeout,
		logf:      func(string, ...any) {},
		backoff:   DefaultBackoff,
		sleep:     sleep,
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c.hc.Jar = jar
	c.hc.CheckRedirect = checkRedirect
	// Deadlines come from the context and c.timeout, never from the shared
	// client: a console stream legitimately outlives any fixed timeout.
	c.hc.Timeout = 0
	c.reportSecret(c.secret)
	return c, nil
}

func (c *Client) reportSecret(s string) {
	if s == "" {
		return
	}
	c.secretsMu.Lock()
	c.secrets = append(c.secrets, s)
	c.secretsMu.Unlock()
	if c.onSecret != nil {
		c.onSecret(s)
	}
}

// redact replaces in text every secret the client knows (credentials,
// build token, crumb, session cookie) in the forms Jenkins or a proxy may
// echo it: as is, URL-encoded, HTML-escaped and JSON-escaped.
func (c *Client) redact(text []byte) []byte {
	c.secretsMu.Lock()
	secrets := append([]string(nil), c.secrets...)
	c.secretsMu.Unlock()
	for _, s := range secrets {
		if len(s) < 4 {
			continue // too short to replace without mangling the text
		}
		quoted := strconv.Quote(s)
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), html.EscapeString(s), quoted[1 : len(quoted)-1]} {
			text = bytes.ReplaceAll(text, []byte(form), []byte("***"))
		}
	}
	return text
}

// BaseURL returns the Jenkins URL the client was built with, ending in "/".
func (c *Client) BaseURL() string { return c.base.String() }

// JobURL returns the absolute URL of job on the configured Jenkins URL,
// ending in "/".
func (c *Client) JobURL(job JobPath) string { return c.resolve(job.relPath()).String() }

// resolve joins an escaped path relative to the Jenkins root.
func (c *Client) resolve(rel string) *url.URL {
	u := *c.base
	u.RawPath = ""
	p := c.base.EscapedPath() + strings.TrimPrefix(rel, "/")
	u.Path, _ = url.PathUnescape(p)
	u.RawPath = p
	return &u
}

// parseBaseURL validates and normalises the configured Jenkins URL.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("the Jenkins URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			// The parser's message may quote part of a password.
			return nil, errors.New("the Jenkins URL is not a valid URL (and seems to contain a user name or password: remove them and use the user and token settings)")
		}
		return nil, fmt.Errorf("the Jenkins URL %q is not a valid URL: %v", raw, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the Jenkins URL %q must start with https:// or http://", redactURLString(raw))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("the Jenkins URL %q has no host name", redactURLString(raw))
	}
	if u.User != nil {
		return nil, errors.New("the Jenkins URL must not contain a user name or password: remove them from the URL and use the user and token settings")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("the Jenkins URL %s must not have a query (?...) or fragment (#...): give the root URL, such as https://ci.example.com/jenkins", redactURL(u))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the Jenkins URL %s has an invalid port %q", redactURL(u), p)
		}
	}
	if strings.Contains(strings.TrimPrefix(u.EscapedPath(), "/"), "//") {
		return nil, fmt.Errorf("the Jenkins URL %s has an empty path segment (//)", redactURL(u))
	}
	if strings.Contains(u.EscapedPath(), "/job/") || strings.HasSuffix(u.EscapedPath(), "/job") {
		return nil, fmt.Errorf("the Jenkins URL %s looks like a job's URL: give the Jenkins root URL (with its context path, such as https://ci.example.com/jenkins) as url, and the job in job", redactURL(u))
	}
	if strings.Contains(u.EscapedPath(), ";") {
		return nil, fmt.Errorf("the Jenkins URL %s must not contain ';'", redactURL(u))
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("the Jenkins URL %s must not contain '.' or '..' segments", redactURL(u))
		}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// checkRedirect never follows a redirect of a request that is not a GET: Go
// would turn a POST into a bodiless GET, and for a trigger the 3xx itself is
// the answer (a 303 is a merge into an existing queue item). GETs follow
// redirects on the same host only; a redirect elsewhere is returned as is.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	first := via[0]
	if first.Method != http.MethodGet {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return http.ErrUseLastResponse
	}
	if !strings.EqualFold(req.URL.Host, first.URL.Host) || req.URL.Scheme != first.URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// request is what do needs to send one request.
type request struct {
	method string
	url    *url.URL
	form   url.Values // sent as an urlencoded body when not nil
	header http.Header
	// stream keeps the per-request timeout off the body: the caller reads it
	// under the context's deadline alone.
	stream bool
}

// do sends one request with the client's credentials, User-Agent and
// cookies. It returns the response for every status; the caller decides
// which are errors (see newError). Transport errors come back as *url.Error
// with the URL redacted.
//
// GETs are idempotent, so do repeats them, with the client's Backoff and
// within ctx's deadline, when they fail in a way that may pass: a refused,
// reset or dropped connection, a read timeout, or an answer 429, 502, 503
// or 504 (honouring Retry-After). Each retry is logged once. When the
// retries run out, the last answer is returned as it came, or the last
// error with the number of attempts. Every GET of the client (crumb, queue
// item, build, console) goes through here, so all of them get retries.
//
// Other methods are sent once, except when the client could not even get a
// connection: then the request provably never left, and it is repeated like
// a GET (see post for what else is safe to repeat for a POST).
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	idempotent := r.method == http.MethodGet || r.method == http.MethodHead
	for attempt := 1; ; attempt++ {
		resp, err := c.send(ctx, r)
		var retryAfter time.Duration
		switch {
		case err != nil:
			if !transientError(ctx, err) || (!idempotent && !requestNotSent(err)) {
				return nil, giveUp(err, attempt)
			}
		case idempotent && transientStatus(resp.StatusCode):
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		default:
			return resp, nil
		}
		wait, ok := c.retryWait(ctx, attempt, retryAfter)
		if !ok {
			if err != nil {
				return nil, giveUp(err, attempt)
			}
			return resp, nil
		}
		short := *r.url // the tree= query of a read is long and says nothing here
		short.RawQuery = ""
		c.logRetry(r.method, redactURL(&short), retryReason(resp, err), attempt, wait)
		if resp != nil {
			drain(resp)
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, giveUp(&url.Error{Op: methodName(r.method), URL: redactURL(r.url), Err: serr}, attempt)
		}
	}
}

// send sends one request, once.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	var body io.Reader
	encoded := ""
	if r.form != nil {
		encoded = r.form.Encode()
		body = strings.NewReader(encoded)
	}
	parent := ctx
	cancel := context.CancelFunc(func() {})
	var resetIdle func()
	switch {
	case !r.stream && c.timeout > 0:
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	case r.stream && c.timeout > 0:
		// A stream may take as long as it needs, but not stall: the
		// answer, and then each read, must come within the timeout, or a
		// proxy holding the connection open would hang the step.
		var cancelCause context.CancelCauseFunc
		ctx, cancelCause = context.WithCancelCause(ctx)
		idle := time.AfterFunc(c.timeout, func() {
			cancelCause(fmt.Errorf("Jenkins sent nothing for %s (the request timeout)", c.timeout))
		})
		cancel = func() { idle.Stop(); cancelCause(context.Canceled) }
		resetIdle = func() { idle.Reset(c.timeout) }
	}
	var gotConn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if r.method == http.MethodPost {
		req.ContentLength = 0
	}
	req.Header.Set("User-Agent", c.userAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.secret)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			if parent.Err() == nil && errors.Is(ctxErr, context.DeadlineExceeded) {
				ctxErr = fmt.Errorf("no answer within the request timeout of %s: %w", c.timeout, ctxErr)
			}
			if !gotConn.Load() {
				ctxErr = &notSentError{ctxErr}
			}
			// Keep the context's error visible to errors.Is while still naming the URL.
			return nil, &url.Error{Op: methodName(r.method), URL: redactURL(r.url), Err: ctxErr}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(r.url)
			if !gotConn.Load() && !requestNotSent(ue) {
				ue.Err = &notSentError{ue.Err}
			}
			return nil, ue
		}
		return nil, &url.Error{Op: methodName(r.method), URL: redactURL(r.url), Err: err}
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel, ctx: ctx, onRead: resetIdle}
	return resp, nil
}

func methodName(m string) string {
	return strings.ToUpper(m[:1]) + strings.ToLower(m[1:])
}

// cancelBody releases the per-request timeout when the body is closed, and
// for a stream pushes the idle timeout back on every read that brings data.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	ctx    context.Context
	onRead func()
}

func (b *cancelBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.onRead != nil {
		b.onRead()
	}
	if err != nil && err != io.EOF && b.ctx != nil && b.ctx.Err() != nil {
		// Say why the read stopped (an idle stream), not just "canceled".
		if cause := context.Cause(b.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
	}
	return n, err
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// drain reads a little of the body and closes it, so the connection can be
// reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// redactURL returns u as a string that is safe to print: no user info, and
// the values of query parameters that carry secrets replaced.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	cp := *u
	cp.User = nil
	if cp.RawQuery != "" {
		q := cp.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "token", "crumb", "jenkins-crumb", ".crumb", "password", "apitoken", "api_token":
				q[k] = []string{"REDACTED"}
			}
		}
		cp.RawQuery = q.Encode()
	}
	return cp.String()
}

func redactURLString(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Cannot tell where a password would be; show nothing of it.
		return "(unparsable URL)"
	}
	return redactURL(u)
}

// unwrapURLError drops the url.Error wrapper of url.Parse errors, which
// repeats the (possibly secret-bearing) input.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// IsNetworkError reports whether err is a failure to reach Jenkins at all
// (DNS, refused connection, TLS), as opposed to an answer from Jenkins.
func IsNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}
