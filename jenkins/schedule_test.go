package jenkins_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// waitCost is what following one build to its end cost, on a fake clock.
type waitCost struct {
	// requests is every request of Follow (queue, build, console).
	requests int
	// steadyPerMin is the requests per build minute after the build's
	// first steadyFrom (0 for builds shorter than that).
	steadyPerMin float64
	// delay is from the build's end to Follow returning.
	delay time.Duration
}

// steadyFrom is where the steady state starts: after the first backoff.
const steadyFrom = 30 * time.Second

// measureWait triggers and follows one build of duration (with the given
// estimatedDuration, -1 for none) behind a 5 s quiet period, with the
// console streamed or not, and counts the requests by the fake's clock.
func measureWait(t testing.TB, maxInterval, duration, estimate time.Duration, log bool, jitter func() float64) waitCost {
	t.Helper()
	clock := jenkinstest.NewFakeClock(epoch)
	var mu sync.Mutex
	var at []time.Time
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				mu.Lock()
				at = append(at, clock.Now())
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}
	res := followOneBuild(t, clock, maxInterval, duration, estimate, log, jitter, jenkinstest.WithMiddleware(count))
	start := res.Build.Timestamp
	end := start.Add(duration)
	wc := waitCost{requests: res.Requests, delay: clock.Now().Sub(end)}
	if duration > steadyFrom {
		n := 0
		for _, a := range at {
			if !a.Before(start.Add(steadyFrom)) && a.Before(end) {
				n++
			}
		}
		wc.steadyPerMin = float64(n) / (duration - steadyFrom).Minutes()
	}
	return wc
}

// waitScenarios are the builds of issue 6.
var waitScenarios = []struct {
	name     string
	duration time.Duration
}{{"5s", 5 * time.Second}, {"2m", 2 * time.Minute}, {"30m", 30 * time.Minute}}

// BenchmarkWaitCost reports, for wait: true with the default
// poll-interval on a fake clock, per build length, with and without
// history and with the console streamed or not: requests per build
// minute (whole follow, queue included, and in steady state) and the
// delay from the build's end to Follow returning (mean and worst over the
// runs, random jitter).
func BenchmarkWaitCost(b *testing.B) {
	for _, sc := range waitScenarios {
		for _, history := range []bool{true, false} {
			for _, log := range []bool{true, false} {
				name := fmt.Sprintf("%s/history=%t/log=%t", sc.name, history, log)
				b.Run(name, func(b *testing.B) {
					est := time.Duration(-1)
					if history {
						est = sc.duration
					}
					var reqs int
					var steady float64
					var delay, worst time.Duration
					for b.Loop() {
						wc := measureWait(b, jenkins.DefaultMaxInterval, sc.duration, est, log, rand.Float64)
						reqs += wc.requests
						steady += wc.steadyPerMin
						delay += wc.delay
						worst = max(worst, wc.delay)
					}
					n := float64(b.N)
					b.ReportMetric(float64(reqs)/n, "requests")
					b.ReportMetric(float64(reqs)/n/sc.duration.Minutes(), "req/build-min")
					if sc.duration > steadyFrom {
						b.ReportMetric(steady/n, "steady-req/min")
					}
					b.ReportMetric(delay.Seconds()/n, "s-delay-mean")
					b.ReportMetric(worst.Seconds(), "s-delay-max")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}

// TestWaitSchedule holds the polling schedule to issue 6's targets,
// counted on a fake clock: the end of a build is noticed within 1 s for
// short builds and within 2% of the duration for long ones, or within
// the steady pause (6 s) where 2% would need more than 12 status requests
// a minute (builds of 50 s to 5 min without history); and in steady
// state no more than 12 requests per build minute.
func TestWaitSchedule(t *testing.T) {
	t.Parallel()
	for _, sc := range waitScenarios {
		for _, history := range []bool{true, false} {
			for _, log := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/history=%t/log=%t", sc.name, history, log), func(t *testing.T) {
					t.Parallel()
					est := time.Duration(-1)
					maxDelay := max(time.Second, sc.duration/50)
					if history {
						est = sc.duration
						maxDelay = 200 * time.Millisecond // a poll is aimed just after the estimated end
					} else if maxDelay < 6*time.Second && sc.duration > 50*time.Second {
						maxDelay = 6 * time.Second
					}
					for _, j := range []float64{0, 0.25, 0.5, 0.75, 0.999} {
						wc := measureWait(t, jenkins.DefaultMaxInterval, sc.duration, est, log, func() float64 { return j })
						t.Logf("jitter %.2f: %+v", j, wc)
						if wc.delay < 0 || wc.delay > maxDelay {
							t.Errorf("jitter %.2f: end noticed after %v, want at most %v", j, wc.delay, maxDelay)
						}
						if wc.steadyPerMin > 12 {
							t.Errorf("jitter %.2f: %.1f requests per build minute in steady state, want at most 12", j, wc.steadyPerMin)
						}
					}
				})
			}
		}
	}
}

// TestWaitScheduleLongBuilds: past five minutes, a build without history
// is polled often enough to notice its end within 2% of its duration, and
// then no more often: the pause grows with the elapsed time up to
// poll-interval.
func TestWaitScheduleLongBuilds(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{6 * time.Minute, 7 * time.Minute, 8 * time.Minute, 15 * time.Minute} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			for _, j := range []float64{0, 0.5, 0.999} {
				wc := measureWait(t, jenkins.DefaultMaxInterval, d, -1, false, func() float64 { return j })
				if wc.delay > d/50 {
					t.Errorf("jitter %.1f: end noticed after %v, want at most 2%% (%v)", j, wc.delay, d/50)
				}
				if wc.steadyPerMin > 12 {
					t.Errorf("jitter %.1f: %.1f requests per minute in steady state", j, wc.steadyPerMin)
				}
			}
		})
	}
}

// TestWaitSchedulePollInterval: poll-interval stays the longest pause, also
// below the steady pause.
func TestWaitSchedulePollInterval(t *testing.T) {
	t.Parallel()
	wc := measureWait(t, 2*time.Second, 5*time.Minute, -1, false, func() float64 { return 0 })
	if wc.delay > 2*time.Second {
		t.Errorf("end noticed after %v with poll-interval 2s", wc.delay)
	}
	if wc.steadyPerMin < 30 {
		t.Errorf("%.1f requests per minute with poll-interval 2s: want at least 30", wc.steadyPerMin)
	}
}
