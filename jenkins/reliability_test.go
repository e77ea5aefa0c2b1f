package jenkins_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// logRecorder collects what the client logs.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// count returns how many lines contain s.
func (l *logRecorder) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// sleepRecorder replaces the client's waits, recording them.
type sleepRecorder struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleeps = append(s.sleeps, d)
	return ctx.Err()
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.sleeps...)
}

var plainJob = jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"})

func crumbFault(action jenkinstest.FaultAction, status int, requests ...int) jenkinstest.Option {
	return jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodGet, Path: "/crumbIssuer/api/json", Requests: requests, Action: action, Status: status})
}

func TestReadsRetryTransientFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   jenkinstest.Option
		timeout time.Duration
		retries int
	}{
		{"503 while Jenkins restarts", crumbFault(jenkinstest.Respond, http.StatusServiceUnavailable, 1, 2), 0, 2},
		{"502 from a proxy", crumbFault(jenkinstest.Respond, http.StatusBadGateway, 1), 0, 1},
		{"504 from a proxy", crumbFault(jenkinstest.Respond, http.StatusGatewayTimeout, 1), 0, 1},
		{"429 rate limit", crumbFault(jenkinstest.Respond, http.StatusTooManyRequests, 1, 2, 3), 0, 3},
		{"connection dropped", crumbFault(jenkinstest.DropBefore, 0, 1), 0, 1},
		{"read timeout", crumbFault(jenkinstest.Hang, 0, 1), 100 * time.Millisecond, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, tc.fault)
			var log logRecorder
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithLogf(log.logf), jenkins.WithRequestTimeout(tc.timeout))
			q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err != nil {
				t.Fatalf("Trigger: %v\nlog:\n%s", err, &log)
			}
			if q.ID != 1 || len(srv.QueueItems()) != 1 {
				t.Errorf("queue item %d, %d items; want one, id 1", q.ID, len(srv.QueueItems()))
			}
			if got := log.count("retry "); got != tc.retries {
				t.Errorf("%d retries logged, want %d:\n%s", got, tc.retries, &log)
			}
			if got := log.count("/crumbIssuer/api/json"); got != tc.retries {
				t.Errorf("retry log lines do not name the URL:\n%s", &log)
			}
			if strings.Contains(log.String(), testPassword) {
				t.Errorf("log leaks the password")
			}
		})
	}
}

func TestReadsGiveUpAfterRetries(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, crumbFault(jenkinstest.Respond, http.StatusServiceUnavailable))
	var log logRecorder
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithLogf(log.logf))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	var jerr *jenkins.Error
	if !errors.As(err, &jerr) || jerr.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want the last 503", err)
	}
	if got := log.count("retry "); got != 3 {
		t.Errorf("%d retries, want the backoff's 3:\n%s", got, &log)
	}
	if n := srv.CountRequests(http.MethodPost, "/build"); n != 0 {
		t.Errorf("%d POSTs without a crumb", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := jenkins.ParseRetryAfter(tc.header, now); got != tc.want {
			t.Errorf("Retry-After %q = %s, want %s", tc.header, got, tc.want)
		}
	}

	cases := []struct {
		name       string
		retryAfter string
		deadline   time.Duration // 0: none
		wantSleep  time.Duration // 0: no retry
	}{
		{"seconds", "7", 0, 7 * time.Second},
		{"longer than the client waits: fail now", "3600", 0, 0},
		{"longer than the deadline: fail now", "90", time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fault := jenkinstest.WithFault(jenkinstest.Fault{Path: "/crumbIssuer/api/json", Requests: []int{1}, Status: http.StatusTooManyRequests,
				Header: http.Header{"Retry-After": {tc.retryAfter}}})
			srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, fault)
			var sl sleepRecorder
			noWait := jenkins.BackoffFunc(func(retry int) (time.Duration, bool) { return 0, retry <= 3 })
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithBackoff(noWait), jenkins.WithSleep(sl.sleep))
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			_, err := c.Trigger(ctx, mustJob(t, "plain"), jenkins.TriggerOptions{})
			sleeps := sl.all()
			if tc.wantSleep == 0 {
				if err == nil || !strings.Contains(err.Error(), "429") || len(sleeps) != 0 {
					t.Fatalf("err = %v after sleeps %v, want the 429 at once", err, sleeps)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(sleeps) != 1 || sleeps[0] != tc.wantSleep {
				t.Errorf("slept %v, want [%s]", sleeps, tc.wantSleep)
			}
		})
	}
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	b := jenkins.ExponentialBackoff{Base: time.Second, Max: 5 * time.Second, Retries: 5}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		for range 50 {
			d, ok := b.Next(i + 1)
			if !ok || d < w/2 || d > w {
				t.Fatalf("retry %d: %s, %v; want between %s and %s", i+1, d, ok, w/2, w)
			}
		}
	}
	if _, ok := b.Next(6); ok {
		t.Error("retry 6 allowed, want at most 5")
	}
	if _, err := jenkins.New("https://ci.example.com", jenkins.WithBackoff(nil)); err == nil {
		t.Error("WithBackoff(nil) accepted")
	}
}

// The trigger POST reached Jenkins, which queued the build, and the
// connection dropped before the answer: the client must find the queue item
// and not POST again.
func TestTriggerAnswerLostFindsTheQueuedBuild(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		params      jenkins.Parameters
		startsFirst bool // the build has left the queue before the check
	}{
		{"queue item still waiting", nil, false},
		{"build already started", nil, true},
		{"parameterized", jenkins.Parameters{{Name: "BRANCH", Value: "main"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job := jenkinstest.Job{FullName: "team/deploy"}
			if tc.params != nil {
				job.Parameters = []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "dev"}}
			}
			opts := []jenkinstest.Option{
				jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(job),
				jenkinstest.WithRootURL("http://jenkins-internal.corp:8080"),
				jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Path: "/job/deploy/" + endpoint(tc.params), Requests: []int{1}, Action: jenkinstest.DropAfter}),
			}
			if tc.startsFirst {
				opts = append(opts, jenkinstest.WithMiddleware(startQueueItemBeforeJobRead(1)))
			}
			srv := newFake(t, opts...)
			var log logRecorder
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithLogf(log.logf))
			q, err := c.Trigger(context.Background(), mustJob(t, "team/deploy"), jenkins.TriggerOptions{Parameters: tc.params})
			if err != nil {
				t.Fatalf("Trigger: %v\n%s", err, &log)
			}
			if !q.Recovered || q.ID != 1 || q.URL != srv.URL+"/queue/item/1/" {
				t.Errorf("got %+v, want recovered queue item 1 on the configured url", q)
			}
			if n := srv.CountRequests(http.MethodPost, "/"+endpoint(tc.params)); n != 1 {
				t.Errorf("%d POSTs, want exactly 1", n)
			}
			readQueueItem(t, srv, 1)
			if items, builds := srv.QueueItems(), srv.Builds("team/deploy"); len(items) != 1 || len(builds) != 1 {
				t.Errorf("%d queue items and %d builds, want exactly one of each", len(items), len(builds))
			}
		})
	}
}

func endpoint(p jenkins.Parameters) string {
	if len(p) > 0 {
		return "buildWithParameters"
	}
	return "build"
}

// startQueueItemBeforeJobRead makes queue item id leave the queue (start its
// build) just before the client reads the job, as a short quiet period would.
func startQueueItemBeforeJobRead(id int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/api/json") && strings.Contains(r.URL.Path, "/job/") {
				q := r.Clone(r.Context())
				q.URL.Path = fmt.Sprintf("/queue/item/%d/api/json", id)
				q.URL.RawPath = ""
				next.ServeHTTP(httptest.NewRecorder(), q)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// readQueueItem reads a queue item as a follower would, which makes the fake
// start its build.
func readQueueItem(t *testing.T, srv *jenkinstest.Server, id int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/queue/item/%d/api/json", srv.URL, id), nil)
	req.SetBasicAuth(testUser, testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestTriggerAnswerLostNothingFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault jenkinstest.Fault
		opts  []jenkins.Option
		want  string
	}{
		{"connection dropped after the request was written",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Action: jenkinstest.DropBefore}, nil, "may still queue it"},
		{"no answer within the request timeout",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Action: jenkinstest.Hang},
			[]jenkins.Option{jenkins.WithRequestTimeout(100 * time.Millisecond)}, "request timeout"},
		{"a proxy's 504 before Jenkins saw it",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Status: http.StatusGatewayTimeout}, nil, "may still queue the build"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var posts atomic.Int32
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), plainJob,
				jenkinstest.WithMiddleware(countPosts(&posts)), jenkinstest.WithFault(tc.fault))
			c := newClient(t, srv.URL, append([]jenkins.Option{jenkins.WithBasicAuth(testUser, testToken)}, tc.opts...)...)
			_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "check "+srv.URL+"/job/plain/") {
				t.Fatalf("err = %v, want it to mention %q and the job URL", err, tc.want)
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("%d POSTs, want exactly 1: never POST again when the first may have queued a build", n)
			}
			if n := srv.CountRequests(http.MethodGet, "/job/plain/api/json"); n != 1 {
				t.Errorf("%d checks of the job, want 1", n)
			}
		})
	}
}

func countPosts(n *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestTriggerProxyRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     jenkinstest.Fault
		wantPosts int32
		recovered bool
	}{
		{"502 before Jenkins: POST again",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Requests: []int{1}, Status: http.StatusBadGateway}, 2, false},
		{"503 with Retry-After before Jenkins: POST again",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Requests: []int{1}, Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"1"}}}, 2, false},
		{"429 from a rate limiter: POST again",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Requests: []int{1}, Status: http.StatusTooManyRequests}, 2, false},
		{"502 after Jenkins queued it: use that item",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Requests: []int{1}, Action: jenkinstest.RespondAfter, Status: http.StatusBadGateway}, 1, true},
		{"504 after Jenkins queued it: use that item",
			jenkinstest.Fault{Method: http.MethodPost, Path: "/build", Requests: []int{1}, Action: jenkinstest.RespondAfter, Status: http.StatusGatewayTimeout}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var posts atomic.Int32
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), plainJob,
				jenkinstest.WithMiddleware(countPosts(&posts)), jenkinstest.WithFault(tc.fault))
			var sl sleepRecorder
			var log logRecorder
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithSleep(sl.sleep), jenkins.WithLogf(log.logf))
			q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err != nil {
				t.Fatalf("Trigger: %v\n%s", err, &log)
			}
			if n := posts.Load(); n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", n, tc.wantPosts)
			}
			if q.Recovered != tc.recovered || q.ID != 1 {
				t.Errorf("got %+v, want queue item 1, recovered %v", q, tc.recovered)
			}
			if n := len(srv.QueueItems()); n != 1 {
				t.Errorf("%d queue items, want 1", n)
			}
			if n := srv.CountRequests(http.MethodGet, "/job/plain/api/json"); n != 1 {
				t.Errorf("%d checks of the job before deciding, want 1", n)
			}
			if tc.fault.Header.Get("Retry-After") == "1" {
				if s := sl.all(); len(s) != 1 || s[0] != time.Second {
					t.Errorf("slept %v, want [1s] from Retry-After", s)
				}
			}
		})
	}
}

func TestPostRepeatedOnlyWhenNotSent(t *testing.T) {
	t.Parallel()
	closed := newFake(t)
	closedURL := closed.URL
	closed.Close()
	var log logRecorder
	c := newClient(t, closedURL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithLogf(log.logf))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("err = %v, want connection refused after 4 attempts", err)
	}
	if strings.Contains(err.Error(), "may") {
		t.Errorf("a POST that never left says the build may have been queued: %v", err)
	}
	if got := log.count("retry "); got != 3 {
		t.Errorf("%d retries logged, want 3:\n%s", got, &log)
	}
}

func TestRequestTimeoutEndsAHungServer(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, crumbFault(jenkinstest.Hang, 0))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithRequestTimeout(50*time.Millisecond))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "request timeout") || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("err = %v, want a request timeout after 4 attempts", err)
	}
}

func TestCrumbRefreshedOnceAfterSessionExpiry(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, jenkinstest.WithJob(jenkinstest.Job{FullName: "other"}))
	var log logRecorder
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithLogf(log.logf))
	if _, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.ExpireSessions()
	q, err := c.Trigger(context.Background(), mustJob(t, "other"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatalf("second trigger after the session expired: %v", err)
	}
	if q.Requests != 3 {
		t.Errorf("second trigger made %d requests, want 3 (refused POST, crumb, POST)", q.Requests)
	}
	if n := srv.CountRequests(http.MethodGet, "/crumbIssuer/api/json"); n != 2 {
		t.Errorf("%d crumb fetches, want 2", n)
	}
	if n := srv.CountRequests(http.MethodPost, "/job/other/build"); n != 2 {
		t.Errorf("%d POSTs to other, want 2 (refused, repeated)", n)
	}
	if log.count("refused the crumb") != 1 {
		t.Errorf("crumb refresh not logged once:\n%s", &log)
	}
}

func TestCrumbRefusedTwiceIsAnError(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob, jenkinstest.WithMiddleware(countPosts(&posts)),
		jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Status: http.StatusForbidden,
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: "No valid crumb was included in the request"}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if !errors.Is(err, jenkins.ErrNoCrumb) {
		t.Fatalf("err = %v, want ErrNoCrumb", err)
	}
	if n := posts.Load(); n != 2 {
		t.Errorf("%d POSTs, want 2 (one repeat with a fresh crumb)", n)
	}
	if n := srv.CountRequests(http.MethodGet, "/crumbIssuer/api/json"); n != 2 {
		t.Errorf("%d crumb fetches, want 2", n)
	}
}

// clockRecorder is a Clock whose Sleep records instead of sleeping.
type clockRecorder struct {
	jenkins.Clock
	rec *sleepRecorder
}

func (c clockRecorder) Sleep(ctx context.Context, d time.Duration) error { return c.rec.sleep(ctx, d) }

// The reads that follow a build go through the same request layer: a 503
// while polling the queue item is retried, waiting on the client's Clock
// (a fake clock in the follow tests) with the default backoff.
func TestQueueItemReadsAreRetriedOnTheClock(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), plainJob,
		jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodGet, Path: "/queue/item/1/api/json", Requests: []int{1, 2}, Status: http.StatusServiceUnavailable}))
	var sl sleepRecorder
	var log logRecorder
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithBackoff(jenkins.DefaultBackoff),
		jenkins.WithClock(clockRecorder{Clock: jenkins.SystemClock(), rec: &sl}), jenkins.WithLogf(log.logf))
	q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueueItem(context.Background(), q.ID); err != nil {
		t.Fatalf("QueueItem: %v\n%s", err, &log)
	}
	s := sl.all()
	if len(s) != 2 || s[0] < 250*time.Millisecond || s[0] > 500*time.Millisecond || s[1] < 500*time.Millisecond || s[1] > time.Second {
		t.Errorf("waits %v, want two growing, jittered pauses from the default backoff", s)
	}
	if log.count("/queue/item/1/api/json: 503 Service Unavailable; retry") != 2 {
		t.Errorf("retries not logged once each:\n%s", &log)
	}
}

// The job's queueItem is only its oldest waiting item: with another item of
// the job waiting (other parameters), a lost answer's item is found in the
// whole queue, and nothing is POSTed again.
func TestTriggerAnswerLostBehindAnotherWaitingItem(t *testing.T) {
	t.Parallel()
	job := jenkinstest.Job{FullName: "team/deploy", Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "dev"}}}
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(job),
		jenkinstest.WithRootURL("http://jenkins-internal.corp:8080"),
		jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Path: "/buildWithParameters", Requests: []int{2}, Action: jenkinstest.DropAfter}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	other, err := c.Trigger(context.Background(), mustJob(t, "team/deploy"), jenkins.TriggerOptions{Parameters: jenkins.Parameters{{Name: "BRANCH", Value: "other"}}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Trigger(context.Background(), mustJob(t, "team/deploy"), jenkins.TriggerOptions{Parameters: jenkins.Parameters{{Name: "BRANCH", Value: "main"}}})
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if !q.Recovered || q.ID == other.ID || q.ID != 2 {
		t.Errorf("got %+v, want recovered queue item 2 (item %d is the other trigger's)", q, other.ID)
	}
	if n := srv.CountRequests(http.MethodPost, "/buildWithParameters"); n != 2 {
		t.Errorf("%d POSTs, want 2 (one per trigger)", n)
	}
	if n := len(srv.QueueItems()); n != 2 {
		t.Errorf("%d queue items, want 2", n)
	}
}
