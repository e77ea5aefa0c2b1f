package jenkins

import (
	"context"
	"time"
)

// WithSleep replaces how the client waits between retries, so tests can
// record the pauses instead of sleeping.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) error {
		c.sleep = f
		return nil
	}
}

// ParseRetryAfter exposes parseRetryAfter to the tests.
var ParseRetryAfter = parseRetryAfter
