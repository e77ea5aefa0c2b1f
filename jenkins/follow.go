package jenkins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Clock is the time Follow polls by. SystemClock is the real one; tests
// pass a fake whose Sleep moves its time forward at once (see
// jenkinstest.FakeClock), so they wait for nothing.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
	// AfterFunc calls f in its own goroutine after d; stop cancels it.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return ctx.Err()
}

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// FollowUntil says how far Follow follows.
type FollowUntil int

const (
	// UntilStarted returns once the build has a number.
	UntilStarted FollowUntil = iota + 1
	// UntilFinished returns once the build has finished and, when the
	// console is followed, its log is complete.
	UntilFinished
)

// Polling defaults.
const (
	DefaultMinInterval = 200 * time.Millisecond
	DefaultMaxInterval = 10 * time.Second
)

// FollowOptions configure Follow.
type FollowOptions struct {
	Until FollowUntil
	// Console, when not nil, receives the build's console as Jenkins sends
	// it (raw: wrap it in a ConsoleCleaner) while the build runs.
	Console io.Writer
	// MinInterval is the first pause between two polls (DefaultMinInterval
	// when zero), MaxInterval the longest (DefaultMaxInterval when zero).
	MinInterval, MaxInterval time.Duration
	// Clock is SystemClock when nil.
	Clock Clock
	// Jitter returns a number in [0, 1); math/rand when nil.
	Jitter func() float64
	// OnQueue is called with the queue item whenever its state or its why
	// changes.
	OnQueue func(*QueueItem)
	// OnStarted is called once the build has a number, with its URL on the
	// client's Jenkins URL.
	OnStarted func(number int, url string)
}

// Followed is what Follow learned; it is filled as far as Follow got, also
// when it returns an error.
type Followed struct {
	QueueID int64
	// Item is the last read of the queue item.
	Item *QueueItem
	// BuildNumber and BuildURL (on the client's Jenkins URL) are set once
	// the build started.
	BuildNumber int
	BuildURL    string
	// Build is the last read of the build (nil if it was never read).
	Build *Build
	// QueueWait is the time from the start of Follow to the build's start,
	// as far as Follow could see it (a poll's precision).
	QueueWait time.Duration
	// Requests counts the HTTP requests Follow made.
	Requests int
}

// Follow follows queue item queueID of job: through the queue to its build,
// and with UntilFinished to the build's end, copying the console to
// opts.Console on the way. The build is found only through the queue
// item's executable, never through a permalink such as lastBuild, which may
// be someone else's build.
//
// Polling starts at MinInterval and backs off (doubling, ±20% jitter) to
// MaxInterval. It uses what Jenkins says: a waiting item is polled again
// when its quiet period ends, and a build is polled again when its
// estimated duration is over, after which the pause starts small again.
// While a build runs, pauses are also kept short enough to notice its end
// within 1 s for short builds and 2% of its duration (or estimate) for
// long ones, but never below the request budget of about 10 per minute
// (see pollCap). While the console is followed, the console read is the
// poll; the build itself is read only at the start and at the end.
//
// Errors: ErrQueueItemCancelled when the item was cancelled; an error
// matching ErrNotFound when the item is gone (Jenkins forgets left items
// after 5 minutes); the context's error when ctx ends.
func (c *Client) Follow(ctx context.Context, job JobPath, queueID int64, opts FollowOptions) (*Followed, error) {
	f := &follower{c: c, job: job, opts: opts, res: &Followed{QueueID: queueID}}
	if f.opts.Clock == nil {
		f.opts.Clock = SystemClock()
	}
	if f.opts.Jitter == nil {
		f.opts.Jitter = rand.Float64
	}
	if f.opts.MinInterval <= 0 {
		f.opts.MinInterval = DefaultMinInterval
	}
	if f.opts.MaxInterval <= 0 {
		f.opts.MaxInterval = DefaultMaxInterval
	}
	if f.opts.MaxInterval < f.opts.MinInterval {
		f.opts.MinInterval = f.opts.MaxInterval
	}
	if f.opts.Until == 0 {
		f.opts.Until = UntilFinished
	}
	f.pace = backoff{min: f.opts.MinInterval, max: f.opts.MaxInterval, cur: f.opts.MinInterval, jitter: f.opts.Jitter}
	err := f.run(ctx)
	return f.res, err
}

type follower struct {
	c    *Client
	job  JobPath
	opts FollowOptions
	res  *Followed
	pace backoff
}

func (f *follower) run(ctx context.Context) error {
	clock := f.opts.Clock
	start := clock.Now()
	if err := f.queue(ctx); err != nil {
		return err
	}
	f.res.QueueWait = clock.Now().Sub(start)
	f.res.BuildURL = f.c.BuildURL(f.job, f.res.BuildNumber)
	if f.opts.OnStarted != nil {
		f.opts.OnStarted(f.res.BuildNumber, f.res.BuildURL)
	}
	if f.opts.Until == UntilStarted {
		return nil
	}
	return f.build(ctx)
}

// queue polls the queue item until it has left the queue.
func (f *follower) queue(ctx context.Context) error {
	var last *QueueItem
	for {
		f.res.Requests++
		it, err := f.c.QueueItem(ctx, f.res.QueueID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w (queue item %d is gone: Jenkins forgets a queue item 5 minutes after it left the queue, and a user may have deleted it; look for the build in the job's history at %s)", err, f.res.QueueID, f.c.JobURL(f.job))
			}
			return err
		}
		f.res.Item = it
		if last == nil || it.State != last.State || it.Why != last.Why || it.Stuck != last.Stuck {
			if last != nil && it.State != last.State {
				f.pace.reset() // something moved: look again soon
			}
			if f.opts.OnQueue != nil {
				f.opts.OnQueue(it)
			}
		}
		last = it
		switch it.State {
		case QueueStarted:
			f.res.BuildNumber = it.BuildNumber
			return nil
		case QueueCancelled:
			return ErrQueueItemCancelled
		}
		wait := f.pace.next()
		if it.State == QueueWaiting && !it.QuietPeriodEnd.IsZero() {
			// Nothing happens before the quiet period ends (but a
			// cancel); then the item becomes buildable and may start at
			// once. So sleep until then, up to MaxInterval, instead of
			// ramping up.
			if d := f.untilJenkinsTime(it.QuietPeriodEnd); d > 0 {
				wait = f.pace.aim(d, f.pace.max)
			}
		}
		if err := f.opts.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// untilJenkinsTime estimates how long until t on Jenkins' clock, assuming
// the clocks agree (Jenkins' timestamps are epoch milliseconds; both ends
// normally run NTP). A skewed clock only makes one poll early or late,
// and the pause is capped by MaxInterval.
func (f *follower) untilJenkinsTime(t time.Time) time.Duration {
	return t.Sub(f.opts.Clock.Now())
}

// build polls the build (and its console) until it has finished.
func (f *follower) build(ctx context.Context) error {
	f.pace.reset()
	n := f.res.BuildNumber
	var offset int64
	consoleDone := f.opts.Console == nil
	needBuild := true // read the build at least once, for its estimate
	seen := f.opts.Clock.Now()
	for {
		if !consoleDone {
			f.res.Requests++
			ch, err := f.c.Console(ctx, f.job, n, offset, f.opts.Console)
			switch {
			case err != nil && ctx.Err() != nil:
				return err
			case err != nil:
				// The console is a courtesy; the result is what the step
				// needs. A stalled or broken console stream must not hold
				// the step until its timeout: follow the status alone.
				f.c.logf("Reading the console of build #%d failed (%v); following the build's status without its console", n, err)
				consoleDone, needBuild = true, true
			default:
				offset = ch.Next
				consoleDone = !ch.More
				if consoleDone {
					needBuild = true
				}
			}
		}
		if needBuild || consoleDone {
			f.res.Requests++
			b, err := f.c.Build(ctx, f.job, n)
			if err != nil {
				return err
			}
			f.res.Build = b
			needBuild = false
			if b.Finished() && consoleDone {
				return nil
			}
		}
		var est time.Duration
		if b := f.res.Build; b != nil {
			est = b.EstimatedDuration
		}
		wait := min(f.pace.next(), pollCap(f.opts.Clock.Now().Sub(seen), est, f.pace.max, f.opts.Jitter()))
		if b := f.res.Build; b != nil && b.EstimatedDuration > 0 && !b.Timestamp.IsZero() {
			// Aim a poll just after the estimated end, and start small
			// again from there: a build that ends on time is noticed
			// within a few hundred milliseconds.
			if d := f.untilJenkinsTime(b.Timestamp.Add(b.EstimatedDuration)); d > 0 {
				wait = f.pace.aim(d, wait)
			}
		}
		if err := f.opts.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// The build's polling schedule: targets and budget (docs/performance.md).
const (
	// detectShare is the part of the build's duration by which its end
	// may be noticed late, for long builds.
	detectShare = 0.02
	// detectFloor is how late the end of a short build may be noticed.
	detectFloor = time.Second
	// steadyPause is the pause the request budget allows in steady state:
	// with the jitter below, 10-12 status requests per build minute.
	steadyPause = 6 * time.Second
	// rampShare: before steadyPause, a build is polled every fifth of its
	// elapsed time (from detectFloor), so short builds are noticed soon.
	rampShare = 0.2
)

// pollCap is the longest pause while a build runs: long enough to keep
// the request budget (steadyPause, reached over the first 30 s), short
// enough to notice the end within detectShare of the build's duration,
// which is taken as its estimate until it has run longer; never more
// than maxPause (poll-interval). jitter in [0, 1) shortens it by up to
// 15%, so that steps started together drift apart without ever polling
// later than the cap.
func pollCap(elapsed, estimate, maxPause time.Duration, jitter float64) time.Duration {
	ramp := min(steadyPause, max(detectFloor, time.Duration(rampShare*float64(elapsed))))
	detect := max(detectFloor, time.Duration(detectShare*float64(max(elapsed, estimate))))
	c := min(maxPause, max(ramp, detect))
	return time.Duration(float64(c) * (1 - 0.15*jitter))
}

// backoff is the polling pace: it starts at min and doubles, with ±20%
// jitter, up to max.
type backoff struct {
	min, max, cur time.Duration
	jitter        func() float64
	// resetAfter makes the pause after an aimed one start at min again:
	// something (a quiet period's end, a build's estimated end) is due.
	resetAfter bool
}

func (b *backoff) reset() { b.cur, b.resetAfter = b.min, false }

func (b *backoff) next() time.Duration {
	if b.resetAfter {
		b.reset()
	}
	d := time.Duration(float64(b.cur) * (0.8 + 0.4*b.jitter()))
	b.cur = min(b.cur*2, b.max)
	return max(b.min, min(d, b.max))
}

// aim returns the pause that ends just after d (something is due then)
// when that is shorter than limit, and limit otherwise; after an aimed
// pause the pace starts small again.
func (b *backoff) aim(d, limit time.Duration) time.Duration {
	const margin = 100 * time.Millisecond // Jenkins acts on its own tick
	if d+margin >= limit {
		return limit
	}
	b.resetAfter = true
	return max(d+margin, b.min)
}
