package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// simClock is virtual time shared by many goroutines: time stands still
// while any of them works (makes a request), and when all of them sleep it
// jumps to the earliest wake-up. So 500 steps following 30-minute builds
// take seconds, and what Jenkins sees per simulated second is exact, not
// limited by how fast two cores can serve requests.
type simClock struct {
	mu       sync.Mutex
	now      time.Time
	active   int
	sleepers []simSleeper
}

type simSleeper struct {
	at   time.Time
	wake chan struct{}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// join adds a goroutine that moves the clock by sleeping; leave removes it.
func (c *simClock) join() { c.mu.Lock(); c.active++; c.mu.Unlock() }

func (c *simClock) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	c.advance()
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	ch := make(chan struct{})
	c.mu.Lock()
	c.sleepers = append(c.sleepers, simSleeper{at: c.now.Add(d), wake: ch})
	c.active--
	c.advance()
	c.mu.Unlock()
	<-ch
	return ctx.Err()
}

// advance, with mu held: when everyone sleeps, jump to the earliest
// wake-up and wake all due then.
func (c *simClock) advance() {
	if c.active > 0 || len(c.sleepers) == 0 {
		return
	}
	sort.Slice(c.sleepers, func(i, j int) bool { return c.sleepers[i].at.Before(c.sleepers[j].at) })
	c.now = c.sleepers[0].at
	n := 0
	for n < len(c.sleepers) && !c.sleepers[n].at.After(c.now) {
		close(c.sleepers[n].wake)
		n++
	}
	c.active += n
	c.sleepers = append(c.sleepers[:0], c.sleepers[n:]...)
}

// AfterFunc is not used by Follow.
func (c *simClock) AfterFunc(time.Duration, func()) func() bool { panic("simClock: AfterFunc") }

// loadResult is what the fake saw from the steps.
type loadResult struct {
	steadyPerSec, peakPerSec, perStepMin float64
}

const (
	loadSteps   = 500
	loadBuild   = 30 * time.Minute
	loadStagger = time.Minute // the steps start over the first minute
	// The steady state: from when every build's pause has grown to
	// poll-interval to before the first build ends.
	steadyStart = 10 * time.Minute
	steadyEnd   = 25 * time.Minute
)

// runLoad runs loadSteps in-process steps (Trigger, then Follow with the
// action's defaults) against one fake on a simClock, each on its own job,
// builds of loadBuild, and counts the requests per simulated second.
func runLoad(tb testing.TB, history, log bool) loadResult {
	clock := &simClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := clock.now
	var mu sync.Mutex
	perSec := map[int64]int{}
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := int64(clock.Now().Sub(start) / time.Second)
			mu.Lock()
			perSec[s]++
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	est := time.Duration(-1)
	if history {
		est = loadBuild
	}
	opts := []jenkinstest.Option{jenkinstest.WithClock(clock.Now), jenkinstest.WithAPIToken(user, token), jenkinstest.WithMiddleware(count)}
	for i := range loadSteps {
		opts = append(opts, jenkinstest.WithJob(jenkinstest.Job{FullName: fmt.Sprintf("j%03d", i),
			Build: jenkinstest.BuildScript{Duration: loadBuild, EstimatedDuration: est, Log: []string{"a\n", "b\n", "c\n"}}}))
	}
	srv := jenkinstest.NewServer(opts...)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: loadSteps}
	defer tr.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	errs := make(chan error, loadSteps)
	for i := range loadSteps {
		delay := time.Duration(rng.Int64N(int64(loadStagger)))
		clock.join()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer clock.leave()
			ctx := context.Background()
			_ = clock.Sleep(ctx, delay)
			c, err := jenkins.New(srv.URL, jenkins.WithBasicAuth(user, token), jenkins.WithHTTPClient(&http.Client{Transport: tr}))
			if err != nil {
				errs <- err
				return
			}
			job := jenkins.JobPath{fmt.Sprintf("j%03d", i)}
			q, err := c.Trigger(ctx, job, jenkins.TriggerOptions{})
			if err != nil {
				errs <- err
				return
			}
			fo := jenkins.FollowOptions{Clock: clock}
			if log {
				fo.Console = io.Discard
			}
			if _, err := c.Follow(ctx, job, q.ID, fo); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	var res loadResult
	var steady, total int
	for s, n := range perSec {
		total += n
		if s >= int64(steadyStart/time.Second) && s < int64(steadyEnd/time.Second) {
			steady += n
			res.peakPerSec = max(res.peakPerSec, float64(n))
		}
	}
	res.steadyPerSec = float64(steady) / (steadyEnd - steadyStart).Seconds()
	res.perStepMin = float64(total) / loadSteps / loadBuild.Minutes()
	return res
}

var (
	loadMu      sync.Mutex
	loadResults = map[string]loadResult{}
)

// BenchmarkLoad reports the load on Jenkins of 500 steps waiting at once
// (in-process Follow loops with the action's defaults, on simulated time,
// 30-minute builds started over one minute): requests per second at the
// fake in steady state (mean, and the busiest second) and requests per
// step per build minute. The simulation is exact and deterministic enough
// that it runs once per case whatever b.N is.
func BenchmarkLoad(b *testing.B) {
	for _, history := range []bool{false, true} {
		for _, log := range []bool{true, false} {
			b.Run(fmt.Sprintf("steps=%d/history=%t/log=%t", loadSteps, history, log), func(b *testing.B) {
				key := fmt.Sprint(history, log)
				loadMu.Lock()
				r, ok := loadResults[key]
				if !ok {
					r = runLoad(b, history, log)
					loadResults[key] = r
				}
				loadMu.Unlock()
				for b.Loop() {
				}
				b.ReportMetric(r.steadyPerSec, "req/s-steady")
				b.ReportMetric(r.peakPerSec, "req/s-peak")
				b.ReportMetric(r.perStepMin, "req/step-min")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
