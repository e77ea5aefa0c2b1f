package jenkins

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Backoff decides how long to wait before a retry. Next is given the number
// of the retry (1 for the first) and returns the pause, or false when no
// more retries should be made.
//
// Unlike go-retry's Backoff, Next is stateless (it is told the retry number
// instead of counting calls), so one Backoff serves every request of a
// Client, concurrently. Compose it the go-retry way: ExponentialBackoff is
// capped and jittered; BackoffFunc adapts a function, which is what tests
// use to wait for nothing.
type Backoff interface {
	Next(retry int) (time.Duration, bool)
}

// BackoffFunc adapts a function to Backoff.
type BackoffFunc func(retry int) (time.Duration, bool)

// Next calls f.
func (f BackoffFunc) Next(retry int) (time.Duration, bool) { return f(retry) }

// NoRetries is a Backoff that never retries.
var NoRetries Backoff = BackoffFunc(func(int) (time.Duration, bool) { return 0, false })

// ExponentialBackoff doubles the pause from Base up to Max, for at most
// Retries retries. Each pause is jittered ("equal jitter": between half
// and all of the exponential value), so that the many pipelines that a
// Jenkins restart interrupts at once do not come back in lockstep.
type ExponentialBackoff struct {
	Base    time.Duration
	Max     time.Duration
	Retries int
}

// Next implements Backoff.
func (b ExponentialBackoff) Next(retry int) (time.Duration, bool) {
	if retry < 1 || retry > b.Retries {
		return 0, false
	}
	d := b.Base
	for i := 1; i < retry && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 0 {
		return 0, true
	}
	half := d / 2
	return half + rand.N(d-half+1), true
}

// DefaultBackoff is used without WithBackoff: 6 retries, from about 0.5 s up
// to 15 s apart, about 40 s in all: enough to ride out a Jenkins or proxy
// restart, short against the step's timeout, which bounds it anyway.
var DefaultBackoff Backoff = ExponentialBackoff{Base: 500 * time.Millisecond, Max: 15 * time.Second, Retries: 6}

// maxRetryAfter is the longest Retry-After the client waits for. A longer
// one means maintenance, not a hiccup: better to fail and say so.
const maxRetryAfter = 2 * time.Minute

// WithBackoff sets how the client waits between retries of transient
// failures (see Client.do). NoRetries switches retries off.
func WithBackoff(b Backoff) Option {
	return func(c *Client) error {
		if b == nil {
			return errors.New("jenkins: WithBackoff: nil Backoff (use NoRetries to switch retries off)")
		}
		c.backoff = b
		return nil
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryWait returns how long to wait before retry number retry, or false
// when the client must give up: the backoff says so, the server asked for
// a longer pause than maxRetryAfter, or the wait would outlast ctx's
// deadline (failing now, with the real cause, beats failing later with
// "deadline exceeded").
func (c *Client) retryWait(ctx context.Context, retry int, retryAfter time.Duration) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	d, ok := c.backoff.Next(retry)
	if !ok {
		return 0, false
	}
	if retryAfter > maxRetryAfter {
		return 0, false
	}
	d = max(d, retryAfter)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return 0, false
	}
	return d, true
}

// transientStatus reports whether an answer with this status is worth
// repeating a GET for: a proxy that could not reach Jenkins (502, 504),
// Jenkins starting or restarting (503), or a rate limit (429).
func transientStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date, relative to now. It returns 0 when the header is absent or
// unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// transientError reports whether a transport error is worth a retry: the
// connection was refused, reset or dropped, or an exchange timed out, while
// ctx (the caller's deadline) is still alive. TLS trust failures, unknown
// hosts and malformed URLs are not: they will fail the same way again.
func transientError(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		dnsErr    *net.DNSError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &certErr),
		errors.As(err, &verifyErr), errors.As(err, &recordErr):
		return false
	case errors.As(err, &dnsErr):
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	case errors.Is(err, context.DeadlineExceeded):
		// The per-request timeout (ctx itself is alive): a read timeout.
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// notSentError marks a transport error that happened before the client got
// a connection for the request: nothing of it reached the server, so even a
// POST can be repeated.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// requestNotSent reports whether err proves that the request never left
// the client.
func requestNotSent(err error) bool {
	var ns *notSentError
	return errors.As(err, &ns)
}

// retryReason describes what a retry repeats, for the log. It never
// contains secrets: URLs are redacted and Jenkins' text is cleaned.
func retryReason(resp *http.Response, err error) string {
	if resp != nil {
		s := strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			s += " (Retry-After: " + cleanText(ra, 40) + ")"
		}
		return s
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// logRetry reports one retry, once.
func (c *Client) logRetry(method, redactedURL, reason string, retry int, wait time.Duration) {
	c.logf("%s %s: %s; retry %d in %s", method, redactedURL, reason, retry, wait.Round(10*time.Millisecond))
}

// giveUp wraps the last error of a request that was retried, saying how
// many times it was tried.
func giveUp(err error, attempts int) error {
	if attempts <= 1 {
		return err
	}
	return fmt.Errorf("%w (after %d attempts)", err, attempts)
}

// WithClock makes the client wait between retries on clk, the clock Follow
// polls by, so that a fake clock drives the retries too.
func WithClock(clk Clock) Option {
	return func(c *Client) error {
		if clk == nil {
			return errors.New("jenkins: WithClock: nil Clock")
		}
		c.sleep = clk.Sleep
		return nil
	}
}
