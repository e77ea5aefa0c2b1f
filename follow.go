package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// exitTimeout: the step's timeout expired (distinct from exitFailure, so
// that a script can retry on it).
const exitTimeout = 3

// errStepTimeout is the cause of the step's context when timeout expires.
var errStepTimeout = errors.New("the step's timeout expired")

// abortTimeout bounds cancelling the Jenkins side once the step was
// cancelled: the runner sends SIGTERM 7.5 s after SIGINT, then kills.
const abortTimeout = 5 * time.Second

func (e env) clockOrSystem() jenkins.Clock {
	if e.clock != nil {
		return e.clock
	}
	return jenkins.SystemClock()
}

// withStepTimeout gives the whole step one deadline on the clock, with
// errStepTimeout as the cause, so a timeout can be told from a cancelled
// workflow.
func withStepTimeout(ctx context.Context, d time.Duration, clock jenkins.Clock) (context.Context, context.CancelFunc) {
	if clock == jenkins.SystemClock() {
		// A real deadline, which the client reads: it never starts a wait
		// (a Retry-After, a backoff) that would outlast the step.
		return context.WithTimeoutCause(ctx, d, errStepTimeout)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := clock.AfterFunc(d, func() { cancel(errStepTimeout) })
	return ctx, func() { stop(); cancel(context.Canceled) }
}

// followBuild follows queue item q to its build's start or end, as cfg.Wait
// says, and reports the outcome: outputs (as far as known), a notice with
// the build URL, the console, the job summary, and an error for a failed
// build, a timeout or a cancellation.
func followBuild(ctx context.Context, cfg *Config, rep *reporter, e env, client *jenkins.Client, job jenkins.JobPath, q *jenkins.Queued) (int, error) {
	if q.ID == 0 {
		return exitFailure, fmt.Errorf("Jenkins answered without a queue item, so the build cannot be followed (wait: %s); look for it at %s", cfg.Wait, client.JobURL(job))
	}
	until := jenkins.UntilStarted
	if cfg.Wait == waitFinish {
		until = jenkins.UntilFinished
	}
	console := &consoleSection{rep: rep, w: rep.log, token: randomToken()}
	opts := jenkins.FollowOptions{
		Until:       until,
		MaxInterval: time.Duration(cfg.PollInterval),
		Clock:       e.clockOrSystem(),
		Jitter:      e.jitter,
		OnQueue:     func(it *jenkins.QueueItem) { reportQueue(rep, it) },
		OnStarted: func(n int, url string) {
			rep.Noticef("Jenkins build %s #%d started: %s", job, n, url)
			if until == jenkins.UntilFinished && bool(cfg.Log) {
				console.start(fmt.Sprintf("Jenkins console: %s #%d", job, n))
			}
		},
	}
	if until == jenkins.UntilFinished && bool(cfg.Log) {
		opts.Console = console
	}
	res, err := client.Follow(ctx, job, q.ID, opts)
	// Before anything else is said: under GitHub the console section
	// switched workflow commands off.
	if cerr := console.end(); cerr != nil && err == nil {
		err = cerr
	}

	o := outcome{job: job, res: res}
	code := exitOK
	var buildErr func(failedStage string)
	switch {
	case err == nil && until == jenkins.UntilStarted:
		o.status = "started"
		rep.Infof("Build #%d started: %s", res.BuildNumber, res.BuildURL)
	case err == nil:
		b := res.Build
		o.result = b.Result
		if b.Result == jenkins.ResultSuccess || (b.Result == jenkins.ResultUnstable && bool(cfg.AllowUnstable)) {
			rep.Infof("Build #%d finished: %s in %s: %s", b.Number, b.Result, formatDuration(b.Duration), res.BuildURL)
		} else {
			code = exitFailure
			hint := ""
			if b.Result == jenkins.ResultUnstable {
				hint = " (set allow-unstable: true to pass the step on UNSTABLE)"
			}
			// Said by reportResults once it knows the failed stage, before
			// the failing tests, so that it is among the 10 error
			// annotations GitHub shows.
			buildErr = func(stage string) {
				if stage != "" {
					stage = "; " + stage
				}
				rep.Errorf("Jenkins build "+b.Result, "%s #%d finished %s: %s%s%s", job, b.Number, b.Result, res.BuildURL, stage, hint)
			}
		}
	case ctx.Err() != nil:
		code = exitFailure
		title, what := "Cancelled", "The workflow was cancelled"
		o.status = "cancelled"
		if errors.Is(context.Cause(ctx), errStepTimeout) {
			code = exitTimeout
			title, what = "Timed out", fmt.Sprintf("The timeout (%s) expired", time.Duration(cfg.Timeout))
			o.status = "timed out"
		}
		where := whereItWas(res)
		done := "The Jenkins side was left alone (cancel-on-abort: false)."
		if cfg.CancelOnAbort {
			done = abortJenkins(client, job, res)
		}
		rep.Errorf(title, "%s %s. %s", what, where, done)
	default:
		code = exitFailure
		o.status = "failed"
		title := "Following the Jenkins build failed"
		if errors.Is(err, jenkins.ErrQueueItemCancelled) {
			title, o.status = "Jenkins queue item cancelled", "queue item cancelled"
			err = fmt.Errorf("queue item %d of %s was cancelled in Jenkins before a build started (by a user, or by Jenkins): %s", q.ID, job, client.JobURL(job))
		}
		rep.Errorf(title, "%s", err)
	}
	if werr := writeFollowOutputs(rep, res); werr != nil {
		return exitFailure, werr
	}
	rep.Summary(o.markdown())
	if err == nil && until == jenkins.UntilFinished {
		// Whatever the result: a failed build is when its test report
		// matters most.
		_, rerr := reportResults(ctx, client, rep, job, res.Build.Number, cfg, buildErr)
		if ctx.Err() != nil {
			// The build is over; only reading its results was cut short.
			if errors.Is(context.Cause(ctx), errStepTimeout) {
				rep.Errorf("Timed out", "The timeout (%s) expired while reading the results of %s #%d, which finished %s: %s", time.Duration(cfg.Timeout), job, res.Build.Number, res.Build.Result, res.BuildURL)
				return exitTimeout, nil
			}
			rep.Errorf("Cancelled", "The workflow was cancelled while reading the results of %s #%d, which finished %s: %s", job, res.Build.Number, res.Build.Result, res.BuildURL)
			return max(code, exitFailure), nil
		}
		if rerr != nil {
			if errors.Is(rerr, errOutput) {
				rep.Errorf("Outputs not written", "%v", rerr)
			}
			code = max(code, exitFailure)
		}
	}
	return code, nil
}

func reportQueue(rep *reporter, it *jenkins.QueueItem) {
	switch it.State {
	case jenkins.QueueWaiting, jenkins.QueueBlocked, jenkins.QueueBuildable:
		if it.Stuck {
			rep.Warningf("Queue item %d is stuck, no executor can take it: %s", it.ID, it.Why)
			return
		}
		rep.Infof("Queued (%s): %s", it.State, it.Why)
	case jenkins.QueueStarting:
		rep.Infof("Leaving the queue: an executor is starting the build")
	}
}

// whereItWas says how far the build got, for a timeout or cancellation.
func whereItWas(res *jenkins.Followed) string {
	if res.BuildNumber > 0 {
		return fmt.Sprintf("while build #%d was running (%s)", res.BuildNumber, res.BuildURL)
	}
	if it := res.Item; it != nil && it.Why != "" {
		return fmt.Sprintf("while queue item %d was still queued (%s: %s)", res.QueueID, it.State, it.Why)
	}
	return fmt.Sprintf("while queue item %d was still queued", res.QueueID)
}

// abortJenkins cancels the queue item or stops the build, on a fresh short
// context (the step's own is done), and says what happened.
func abortJenkins(client *jenkins.Client, job jenkins.JobPath, res *jenkins.Followed) string {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	n := res.BuildNumber
	if n == 0 {
		err := client.CancelQueueItem(ctx, res.QueueID)
		if err != nil && !errors.Is(err, jenkins.ErrNotFound) {
			return fmt.Sprintf("Cancelling queue item %d failed: %v", res.QueueID, err)
		}
		// The item may have left the queue between the last poll and
		// the cancel: then its build must be stopped instead.
		it, rerr := client.QueueItem(ctx, res.QueueID)
		if rerr != nil || it.State != jenkins.QueueStarted {
			return fmt.Sprintf("Cancelled queue item %d in Jenkins.", res.QueueID)
		}
		n = it.BuildNumber
	}
	url := client.BuildURL(job, n)
	if err := client.StopBuild(ctx, job, n); err != nil {
		return fmt.Sprintf("Stopping build #%d failed: %v; stop it at %s", n, err, url)
	}
	return fmt.Sprintf("Stopped build #%d in Jenkins (%s).", n, url)
}

func writeFollowOutputs(rep *reporter, res *jenkins.Followed) error {
	var outs []struct{ name, value string }
	add := func(name, value string) { outs = append(outs, struct{ name, value string }{name, value}) }
	if res.BuildNumber > 0 {
		add("build-number", strconv.Itoa(res.BuildNumber))
		add("build-url", res.BuildURL)
	}
	if b := res.Build; b != nil && b.Finished() {
		add("result", b.Result)
		add("duration", strconv.FormatFloat(b.Duration.Seconds(), 'f', 3, 64))
	}
	for _, o := range outs {
		if err := rep.SetOutput(o.name, o.value); err != nil {
			return fmt.Errorf("%w: %v", errOutput, err)
		}
	}
	return nil
}

// consoleSection prints the build's console into the step log. Under
// GitHub it is a collapsible group, and workflow commands are switched off
// for its length (::stop-commands:: with a token nobody else knows), so a
// line such as ::add-mask:: or ::set-output in the Jenkins log is printed,
// not executed. ConsoleNotes and CRLFs are cleaned on the way.
type consoleSection struct {
	rep     *reporter
	w       io.Writer
	token   string
	cleaner *jenkins.ConsoleCleaner
}

func (s *consoleSection) start(title string) {
	if s.rep.github {
		fmt.Fprintf(s.w, "::group::%s\n::stop-commands::%s\n", title, s.token)
	} else {
		fmt.Fprintf(s.w, "----- %s -----\n", title)
	}
	s.cleaner = jenkins.NewConsoleCleaner(s.w)
}

func (s *consoleSection) Write(p []byte) (int, error) {
	if s.cleaner == nil {
		return len(p), nil
	}
	return s.cleaner.Write(p)
}

// end closes the section, if it was started; it is safe to call twice.
func (s *consoleSection) end() error {
	if s.cleaner == nil {
		return nil
	}
	c := s.cleaner
	s.cleaner = nil
	err := c.Close()
	if !c.EndsWithNewline() {
		fmt.Fprintln(s.w)
	}
	if s.rep.github {
		fmt.Fprintf(s.w, "::%s::\n::endgroup::\n", s.token)
	} else {
		fmt.Fprintln(s.w, "----- end of the Jenkins console -----")
	}
	return err
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
