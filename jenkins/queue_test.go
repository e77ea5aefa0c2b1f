package jenkins_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jenkins-real", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseQueueItemRealPayloads(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file      string
		state     jenkins.QueueState
		number    int
		why       string
		stuck     bool
		quietEnds int64 // epoch ms
	}{
		{file: "queue-item-waiting-quiet-period.json", state: jenkins.QueueWaiting, why: "In the quiet period. Expires in 4.9 sec", quietEnds: 1547628262257},
		{file: "queue-item-waiting-gerrit.json", state: jenkins.QueueWaiting, why: "In the quiet period. Expires in 4.6 sec", quietEnds: 1566553113796},
		{file: "queue-item-blocked.json", state: jenkins.QueueBlocked, why: "Build #9 is already in progress (ETA:15 sec)"},
		{file: "queue-item-blocked-pipeline.json", state: jenkins.QueueBlocked, why: "Build #168 is already in progress (ETA:N/A)"},
		{file: "queue-item-buildable-stuck-no-label.json", state: jenkins.QueueBuildable, why: "There are no nodes with the label ‘xxxx’", stuck: true},
		{file: "queue-item-left.json", state: jenkins.QueueStarted, number: 14},
		{file: "queue-item-left-pipeline.json", state: jenkins.QueueStarted, number: 54},
		{file: "queue-item-left-compact-u000a.json", state: jenkins.QueueStarted, number: 95},
		{file: "queue-item-cancelled.json", state: jenkins.QueueCancelled},
		{file: "queue-item-left-jenkins1x-remote-cause.json", state: jenkins.QueueStarted, number: 35},
		{file: "queue-item-left-jenkins1x-nodejenkins.json", state: jenkins.QueueStarted, number: 28},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			it, err := jenkins.ParseQueueItem(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if it.State != tc.state || it.BuildNumber != tc.number || it.Why != tc.why || it.Stuck != tc.stuck {
				t.Errorf("got state %v number %d why %q stuck %t; want %v %d %q %t", it.State, it.BuildNumber, it.Why, it.Stuck, tc.state, tc.number, tc.why, tc.stuck)
			}
			var ends int64
			if !it.QuietPeriodEnd.IsZero() {
				ends = it.QuietPeriodEnd.UnixMilli()
			}
			if ends != tc.quietEnds {
				t.Errorf("quiet period ends %d, want %d", ends, tc.quietEnds)
			}
		})
	}
}

func TestParseQueueItemShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		json  string
		state jenkins.QueueState
	}{
		{"left, executor not there yet", `{"_class":"hudson.model.Queue$LeftItem","id":3,"why":null,"cancelled":false,"executable":null}`, jenkins.QueueStarting},
		{"1.x cancelled: no class, no cancelled field, no why", `{"id":3,"why":null,"blocked":false,"buildable":false,"executable":null}`, jenkins.QueueCancelled},
		{"1.x waiting", `{"id":3,"why":"In the quiet period. Expires in 3 sec","blocked":false,"buildable":false}`, jenkins.QueueWaiting},
		{"1.x blocked", `{"id":3,"why":"Build #2 is already in progress","blocked":true,"buildable":false}`, jenkins.QueueBlocked},
		{"1.x buildable", `{"id":3,"why":"Waiting for next available executor","blocked":false,"buildable":true,"pending":true}`, jenkins.QueueBuildable},
		{"unknown class stays queued", `{"_class":"org.example.PluginItem","id":3,"why":"hold on"}`, jenkins.QueueBuildable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			it, err := jenkins.ParseQueueItem([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if it.State != tc.state {
				t.Errorf("state %v, want %v", it.State, tc.state)
			}
		})
	}
	t.Run("executable without number is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := jenkins.ParseQueueItem([]byte(`{"_class":"hudson.model.Queue$LeftItem","executable":{"url":"x"}}`)); err == nil {
			t.Error("no error")
		}
	})
}

func TestParseBuildRealPayloads(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file     string
		building bool
		result   string
		finished bool
	}{
		{"build-running-pipeline-tree.json", true, "", false},
		{"build-aborted-freestyle.json", false, "ABORTED", true},
		{"build-success-freestyle.json", false, "SUCCESS", true},
		{"build-success-freestyle-jenkins1x.json", false, "SUCCESS", true},
		{"build-unstable-pipeline-with-test-result-action.json", false, "UNSTABLE", true},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			b, err := jenkins.ParseBuild(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if b.Building != tc.building || b.Result != tc.result || b.Finished() != tc.finished {
				t.Errorf("got building %t result %q finished %t", b.Building, b.Result, b.Finished())
			}
		})
	}
	t.Run("pipeline result before building is false is not finished", func(t *testing.T) {
		t.Parallel()
		b, _ := jenkins.ParseBuild([]byte(`{"building":true,"result":"SUCCESS","number":3}`))
		if b.Finished() {
			t.Error("Finished() = true while building")
		}
	})
}

func TestQueueItemCancelAndStop(t *testing.T) {
	t.Parallel()
	srv := newFake(t,
		jenkinstest.WithUser(testUser, testPassword),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "f/slow", Queue: []jenkinstest.QueueState{{Kind: jenkinstest.Blocked}}, Build: jenkinstest.BuildScript{Duration: time.Hour}}),
	)
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword))
	ctx := context.Background()
	job := mustJob(t, "f/slow")

	q, err := c.Trigger(ctx, job, jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.QueueItem(ctx, q.ID)
	if err != nil || it.State != jenkins.QueueBlocked || it.Why == "" {
		t.Fatalf("QueueItem = %+v, %v; want blocked with a why", it, err)
	}
	if err := c.CancelQueueItem(ctx, q.ID); err != nil {
		t.Fatalf("CancelQueueItem: %v", err)
	}
	it, err = c.QueueItem(ctx, q.ID)
	if err != nil || it.State != jenkins.QueueCancelled {
		t.Fatalf("after cancel: %+v, %v", it, err)
	}
	if err := c.CancelQueueItem(ctx, 999); !errors.Is(err, jenkins.ErrNotFound) {
		t.Errorf("cancel of an unknown item: %v, want ErrNotFound", err)
	}

	q2, err := c.Trigger(ctx, job, jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if it, err = c.QueueItem(ctx, q2.ID); err != nil {
			t.Fatal(err)
		}
	}
	if it.State != jenkins.QueueStarted || it.BuildNumber != 1 {
		t.Fatalf("item %+v, want started #1", it)
	}
	if err := c.StopBuild(ctx, job, 1); err != nil {
		t.Fatalf("StopBuild: %v", err)
	}
	b, err := c.Build(ctx, job, 1)
	if err != nil || !b.Finished() || b.Result != jenkins.ResultAborted {
		t.Fatalf("after stop: %+v, %v", b, err)
	}
	if err := c.StopBuild(ctx, job, 1); err != nil {
		t.Errorf("second stop of a finished build: %v (Jenkins answers 302)", err)
	}
	if err := c.StopBuild(ctx, job, 7); !errors.Is(err, jenkins.ErrNotFound) {
		t.Errorf("stop of a missing build: %v", err)
	}
	// Every POST carried a crumb: the fake refuses them otherwise, so
	// counting the crumb fetches is enough.
	if n := srv.CountRequests(http.MethodGet, "/crumbIssuer/api/json"); n != 1 {
		t.Errorf("%d crumb fetches, want 1", n)
	}
}

func TestBuildAddressedOnConfiguredURL(t *testing.T) {
	t.Parallel()
	// Jenkins' root URL names a host the client cannot reach; the client
	// must keep to its own base URL.
	srv := newFake(t, jenkinstest.WithRootURL("http://jenkins.internal.invalid:8080/ci"),
		jenkinstest.WithAnonymous(jenkinstest.AllPermissions...), jenkinstest.WithCSRF(false),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "a b/deploy"}))
	c := newClient(t, srv.URL)
	ctx := context.Background()
	job := mustJob(t, "a b/deploy")
	q, err := c.Trigger(ctx, job, jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.QueueItem(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if it.BuildURL != "http://jenkins.internal.invalid:8080/ci/job/a%20b/job/deploy/1/" {
		t.Errorf("executable url %q", it.BuildURL)
	}
	if got, want := c.BuildURL(job, it.BuildNumber), srv.URL+"/job/a%20b/job/deploy/1/"; got != want {
		t.Errorf("BuildURL = %q, want %q", got, want)
	}
	if _, err := c.Build(ctx, job, it.BuildNumber); err != nil {
		t.Errorf("Build: %v", err)
	}
}
