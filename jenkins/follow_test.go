package jenkins_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// followFake starts a fake Jenkins on a fake clock with job, triggers it
// and returns what a Follow needs.
func followFake(t *testing.T, job jenkinstest.Job, opts ...jenkinstest.Option) (*jenkinstest.Server, *jenkins.Client, *jenkinstest.FakeClock, int64) {
	t.Helper()
	clock := jenkinstest.NewFakeClock(epoch)
	opts = append([]jenkinstest.Option{jenkinstest.WithClock(clock.Now), jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(job)}, opts...)
	srv := newFake(t, opts...)
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	q, err := c.Trigger(context.Background(), mustJob(t, job.FullName), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clock, q.ID
}

// midJitter makes the jitter factor exactly 1.
func midJitter() float64 { return 0.5 }

func TestFollowQueueToResult(t *testing.T) {
	t.Parallel()
	job := jenkinstest.Job{
		FullName: "team/deploy",
		Pipeline: true,
		Queue: []jenkinstest.QueueState{
			{Kind: jenkinstest.Waiting},
			{Kind: jenkinstest.Blocked, Why: "Build #7 is already in progress (ETA:15 sec)"},
			{Kind: jenkinstest.Blocked, Why: "Build #7 is already in progress (ETA:15 sec)"},
			{Kind: jenkinstest.Blocked, Why: "Build #7 is already in progress (ETA:3 sec)"},
			{Kind: jenkinstest.Stuck},
			{Kind: jenkinstest.Buildable},
			{Kind: jenkinstest.Starting},
		},
		Build: jenkinstest.BuildScript{
			Duration: 30 * time.Second, Result: "UNSTABLE", LogLag: 2 * time.Second,
			Log: []string{"\x1b[8mha:////4Bp5mQUxZRi+wjik\x1b[0m[Pipeline] Start\r\n", "caf\xc3", "\xa9 ✓\r\n", "done\r\n"},
		},
	}
	srv, c, clock, id := followFake(t, job)
	var whys []string
	var started string
	var raw bytes.Buffer
	res, err := c.Follow(context.Background(), mustJob(t, "team/deploy"), id, jenkins.FollowOptions{
		Until: jenkins.UntilFinished, Console: &raw, Clock: clock, Jitter: midJitter,
		OnQueue: func(it *jenkins.QueueItem) {
			whys = append(whys, fmt.Sprintf("%v stuck=%t: %s", it.State, it.Stuck, it.Why))
		},
		OnStarted: func(n int, url string) { started = fmt.Sprintf("#%d %s", n, url) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantWhys := []string{
		"waiting stuck=false: In the quiet period. Expires in 4.9 sec",
		"blocked stuck=false: Build #7 is already in progress (ETA:15 sec)",
		"blocked stuck=false: Build #7 is already in progress (ETA:3 sec)",
		"buildable stuck=true: There are no nodes with the label ‘linux’",
		"buildable stuck=false: Waiting for next available executor",
		"starting stuck=false: ",
		"started stuck=false: ",
	}
	if strings.Join(whys, "\n") != strings.Join(wantWhys, "\n") {
		t.Errorf("queue reports (each change once):\n%s\nwant\n%s", strings.Join(whys, "\n"), strings.Join(wantWhys, "\n"))
	}
	if want := "#1 " + srv.URL + "/job/team/job/deploy/1/"; started != want {
		t.Errorf("OnStarted %q, want %q", started, want)
	}
	if res.BuildNumber != 1 || res.Build == nil || res.Build.Result != "UNSTABLE" || res.Build.Duration != 30*time.Second {
		t.Errorf("result %+v build %+v", res, res.Build)
	}
	var cleaned bytes.Buffer
	cl := jenkins.NewConsoleCleaner(&cleaned)
	_, _ = cl.Write(raw.Bytes())
	_ = cl.Close()
	// The build JSON said "finished" 2 s before the log was complete: the
	// last line must still be there.
	want := "Started by remote host 127.0.0.1\n[Pipeline] Start\ncafé ✓\ndone\nFinished: UNSTABLE\n"
	if cleaned.String() != want {
		t.Errorf("console %q, want %q", cleaned.String(), want)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "lastBuild") || strings.Contains(r.Path, "lastCompletedBuild") {
			t.Errorf("request to a permalink: %s", r.Path)
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/api/json") && !strings.HasPrefix(r.Path, "/crumbIssuer") && r.Query.Get("tree") == "" {
			t.Errorf("%s without ?tree=", r.Path)
		}
	}
	if res.Requests != len(srv.Requests())-1 { // the trigger POST
		t.Errorf("Requests = %d, the fake saw %d after the trigger", res.Requests, len(srv.Requests())-1)
	}
}

func TestFollowFindsItsOwnBuild(t *testing.T) {
	t.Parallel()
	// Someone else's build of the same job starts after ours: ours is the
	// one named by the queue item.
	srv, c, clock, id := followFake(t, jenkinstest.Job{FullName: "j", Parameters: []jenkinstest.ParameterDefinition{{Name: "WHO"}},
		Build: jenkinstest.BuildScript{Duration: time.Minute}})
	ctx := context.Background()
	job := mustJob(t, "j")
	_ = srv
	id1, err := c.Trigger(ctx, job, jenkins.TriggerOptions{Parameters: jenkins.Parameters{{Name: "WHO", Value: "us"}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Follow(ctx, job, id, jenkins.FollowOptions{Until: jenkins.UntilStarted, Clock: clock})
	if err != nil || res.BuildNumber != 1 {
		t.Fatalf("first: %+v %v", res, err)
	}
	res2, err := c.Follow(ctx, job, id1.ID, jenkins.FollowOptions{Until: jenkins.UntilStarted, Clock: clock})
	if err != nil || res2.BuildNumber != 2 {
		t.Fatalf("second: %+v %v", res2, err)
	}
}

func TestFollowUntilStartedReadsNoBuild(t *testing.T) {
	t.Parallel()
	srv, c, clock, id := followFake(t, jenkinstest.Job{FullName: "j", Queue: []jenkinstest.QueueState{{Kind: jenkinstest.Waiting}}, Build: jenkinstest.BuildScript{Duration: time.Hour}})
	res, err := c.Follow(context.Background(), mustJob(t, "j"), id, jenkins.FollowOptions{Until: jenkins.UntilStarted, Clock: clock, Console: &bytes.Buffer{}})
	if err != nil || res.BuildNumber != 1 || res.Build != nil {
		t.Fatalf("%+v %v", res, err)
	}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/job/j/1/") {
			t.Errorf("read the build: %s", r.Path)
		}
	}
}

func TestFollowQueueEnds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		queue  []jenkinstest.QueueState
		drop   bool // drop the item before the first poll (a late start)
		target error
		text   string
	}{
		{name: "cancelled in Jenkins", queue: []jenkinstest.QueueState{{Kind: jenkinstest.Blocked}, {Kind: jenkinstest.Cancelled}}, target: jenkins.ErrQueueItemCancelled, text: "cancelled"},
		{name: "dropped while waiting", queue: []jenkinstest.QueueState{{Kind: jenkinstest.Waiting}, {Kind: jenkinstest.Dropped}}, target: jenkins.ErrNotFound, text: "5 minutes"},
		{name: "gone before the first poll", drop: true, target: jenkins.ErrNotFound, text: "job's history at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, clock, id := followFake(t, jenkinstest.Job{FullName: "j", Queue: tc.queue})
			if tc.drop {
				srv.DropQueueItem(id)
			}
			res, err := c.Follow(context.Background(), mustJob(t, "j"), id, jenkins.FollowOptions{Clock: clock})
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.target, tc.text)
			}
			if res.BuildNumber != 0 {
				t.Errorf("build number %d", res.BuildNumber)
			}
		})
	}
}

func TestFollowStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	_, c, clock, id := followFake(t, jenkinstest.Job{FullName: "j", Build: jenkinstest.BuildScript{Duration: time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	stop := clock.AfterFunc(5*time.Minute, cancel)
	defer stop()
	res, err := c.Follow(ctx, mustJob(t, "j"), id, jenkins.FollowOptions{Clock: clock, Console: &bytes.Buffer{}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if res.BuildNumber != 1 || res.Build == nil || !res.Build.Building {
		t.Errorf("Followed %+v: want the running build", res)
	}
}

// pollCost follows one build of the given duration on a fake clock and
// returns the requests it took and how long after the build's end Follow
// noticed it.
func pollCost(t testing.TB, duration, estimate time.Duration, log bool, jitter func() float64) (int, time.Duration) {
	return pollCostEvery(t, 10*time.Second, duration, estimate, log, jitter)
}

func pollCostEvery(t testing.TB, maxInterval, duration, estimate time.Duration, log bool, jitter func() float64) (int, time.Duration) {
	clock := jenkinstest.NewFakeClock(epoch)
	res := followOneBuild(t, clock, maxInterval, duration, estimate, log, jitter)
	return res.Requests, clock.Now().Sub(res.Build.Timestamp.Add(duration))
}

// followOneBuild triggers and follows one build of job "j" (duration, and
// estimatedDuration estimate, -1 for none) behind a quiet period, on a fake
// clock, with the console streamed or not. extra options go to the fake.
func followOneBuild(t testing.TB, clock *jenkinstest.FakeClock, maxInterval, duration, estimate time.Duration, log bool, jitter func() float64, extra ...jenkinstest.Option) *jenkins.Followed {
	t.Helper()
	opts := append([]jenkinstest.Option{jenkinstest.WithClock(clock.Now), jenkinstest.WithAPIToken(testUser, testToken),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "j", Queue: []jenkinstest.QueueState{{Kind: jenkinstest.Waiting}},
			Build: jenkinstest.BuildScript{Duration: duration, EstimatedDuration: estimate, Log: []string{"a\n", "b\n", "c\n"}}})}, extra...)
	srv := jenkinstest.NewServer(opts...)
	defer srv.Close()
	c, err := jenkins.New(srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q, err := c.Trigger(ctx, jenkins.JobPath{"j"}, jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fopts := jenkins.FollowOptions{Clock: clock, Jitter: jitter, MaxInterval: maxInterval}
	if log {
		fopts.Console = &bytes.Buffer{}
	}
	res, err := c.Follow(ctx, jenkins.JobPath{"j"}, q.ID, fopts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPollCost pins the numbers the README gives for a 10-minute build
// with the default poll-interval of 10 s (5 s quiet period first).
func TestPollCost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		estimate      time.Duration
		log           bool
		maxRequests   int
		maxDetectionS float64
	}{
		{"estimate right, console", 10 * time.Minute, true, 90, 0.5},
		{"estimate right, no console", 10 * time.Minute, false, 90, 0.5},
		{"no history", -1, true, 125, 10},
		{"build overran its estimate by a minute", 9 * time.Minute, true, 95, 10},
		{"poll-interval 30s", 10 * time.Minute, true, 70, 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, j := range []float64{0, 0.5, 0.999} {
				every := 10 * time.Second
				if strings.Contains(tc.name, "30s") {
					every = 30 * time.Second
				}
				n, delay := pollCostEvery(t, every, 10*time.Minute, tc.estimate, tc.log, func() float64 { return j })
				t.Logf("jitter %.1f: %d requests, finish noticed after %v", j, n, delay)
				if n > tc.maxRequests || delay.Seconds() > tc.maxDetectionS || delay < 0 {
					t.Errorf("jitter %.1f: %d requests (max %d), noticed after %v (max %.1fs)", j, n, tc.maxRequests, delay, tc.maxDetectionS)
				}
			}
		})
	}
}

// BenchmarkPollCost reports the requests a 10-minute build costs and the
// finish-detection delay, with random jitter, for the README.
func BenchmarkPollCost(b *testing.B) {
	for _, bc := range []struct {
		name     string
		estimate time.Duration
	}{{"estimate-right", 10 * time.Minute}, {"no-history", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			var reqs int
			var delay time.Duration
			for b.Loop() {
				n, d := pollCost(b, 10*time.Minute, bc.estimate, true, nil)
				reqs += n
				delay += d
			}
			b.ReportMetric(float64(reqs)/float64(b.N), "requests/build")
			b.ReportMetric(delay.Seconds()/float64(b.N), "s-detection-delay")
		})
	}
}

// A console request that hangs (a proxy holding the stream open) must not
// hold the step until its timeout: after the request timeout the step
// follows the build's status alone and still gets the result.
func TestFollowSurvivesAHungConsole(t *testing.T) {
	t.Parallel()
	job := jenkinstest.Job{FullName: "j", Build: jenkinstest.BuildScript{Duration: 20 * time.Second, Result: "SUCCESS", Log: []string{"a\n", "b\n"}}}
	clock := jenkinstest.NewFakeClock(epoch)
	srv := newFake(t, jenkinstest.WithClock(clock.Now), jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(job),
		jenkinstest.WithFault(jenkinstest.Fault{Method: "GET", Path: "/logText/progressiveText", Requests: []int{1}, Action: jenkinstest.Hang}))
	var logs []string
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithRequestTimeout(200*time.Millisecond),
		jenkins.WithLogf(func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }))
	q, err := c.Trigger(context.Background(), mustJob(t, "j"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Follow(context.Background(), mustJob(t, "j"), q.ID, jenkins.FollowOptions{Clock: clock, Console: &bytes.Buffer{}, Jitter: midJitter})
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	if res.Build == nil || res.Build.Result != "SUCCESS" {
		t.Fatalf("result %+v, want SUCCESS", res.Build)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "following the build's status without its console") {
		t.Errorf("no log line says the console was given up:\n%s", strings.Join(logs, "\n"))
	}
}
