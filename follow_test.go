package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

const (
	testUser     = "alice"
	testPassword = "p4ssw0rd-not-a-token"
	testToken    = "11aaaabbbbccccddddeeeeffff00001111"
)

// ran is what one run of the action left behind.
type ran struct {
	code    int
	stdout  string
	stderr  string
	outputs string // GITHUB_OUTPUT
	summary string // GITHUB_STEP_SUMMARY
	srv     *jenkinstest.Server
}

// runFollow runs the action under GitHub Actions against a fake Jenkins
// with job, on a fake clock. cancelAfter, when > 0, cancels the run's
// context (as SIGINT does) after that much fake time.
func runFollow(t *testing.T, job jenkinstest.Job, settings map[string]string, cancelAfter time.Duration) ran {
	t.Helper()
	clock := jenkinstest.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := jenkinstest.NewServer(jenkinstest.WithClock(clock.Now), jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithJob(job))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"INPUT_URL":           srv.URL,
		"INPUT_JOB":           job.FullName,
		"INPUT_USER":          testUser,
		"INPUT_TOKEN":         testPassword,
		"INPUT_WAIT":          "true",
	}
	for k, v := range settings {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if cancelAfter > 0 {
		clock.AfterFunc(cancelAfter, cancel)
	}
	var stdout, stderr bytes.Buffer
	code := run(ctx, env{getenv: func(k string) string { return vars[k] }, stdout: &stdout, stderr: &stderr, clock: clock, jitter: func() float64 { return 0.5 }})
	out, _ := os.ReadFile(vars["GITHUB_OUTPUT"])
	sum, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	return ran{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: string(out), summary: string(sum), srv: srv}
}

// outputValue returns the value of output name in a GITHUB_OUTPUT file.
func outputValue(r ran, name string) (string, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `<<(\S+)\n(.*)\n`)
	m := re.FindStringSubmatch(r.outputs)
	if m == nil {
		return "", false
	}
	return m[2], true
}

func countLines(s, prefix string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func TestFollowResults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		result   string
		settings map[string]string
		code     int
	}{
		{name: "success", result: "SUCCESS", code: exitOK},
		{name: "failure", result: "FAILURE", code: exitFailure},
		{name: "aborted", result: "ABORTED", code: exitFailure},
		{name: "not built", result: "NOT_BUILT", code: exitFailure},
		{name: "unstable fails by default", result: "UNSTABLE", code: exitFailure},
		{name: "unstable allowed", result: "UNSTABLE", settings: map[string]string{"INPUT_ALLOW-UNSTABLE": "true"}, code: exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runFollow(t, jenkinstest.Job{FullName: "team/deploy", Build: jenkinstest.BuildScript{Duration: 90 * time.Second, Result: tc.result, Log: []string{"step\n"}}}, tc.settings, 0)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stdout)
			}
			buildURL := r.srv.URL + "/job/team/job/deploy/1/"
			for name, want := range map[string]string{"build-number": "1", "build-url": buildURL, "result": tc.result, "duration": "90.000", "queue-id": "1"} {
				if got, _ := outputValue(r, name); got != want {
					t.Errorf("output %s = %q, want %q", name, got, want)
				}
			}
			if !strings.Contains(r.stdout, "::notice::Jenkins build team/deploy #1 started: "+buildURL) {
				t.Errorf("no notice with the build URL:\n%s", r.stdout)
			}
			errs := countLines(r.stdout, "::error")
			if tc.code == exitOK && errs != 0 || tc.code != exitOK && errs != 1 {
				t.Errorf("%d ::error:: lines:\n%s", errs, r.stdout)
			}
			if tc.code != exitOK {
				if !strings.Contains(r.stdout, tc.result) || !regexp.MustCompile(`::error[^\n]*`+regexp.QuoteMeta(buildURL)).MatchString(r.stdout) {
					t.Errorf("the error names neither the result nor the build URL:\n%s", r.stdout)
				}
			}
			if !strings.Contains(r.summary, "| team/deploy | [#1]("+buildURL+") |") || !strings.Contains(r.summary, mdCell(tc.result)) {
				t.Errorf("summary:\n%s", r.summary)
			}
		})
	}
}

func TestFollowConsoleIsProtected(t *testing.T) {
	t.Parallel()
	r := runFollow(t, jenkinstest.Job{FullName: "j", Pipeline: true, Build: jenkinstest.BuildScript{Duration: 20 * time.Second, LogLag: 3 * time.Second, Log: []string{
		"\x1b[8mha:////4Bp5mQUxZRi+wjikn6hzszZhb1EY9UkvnIH0tqqlBOy5AAAAlx+L\x1b[0m[Pipeline] sh\r\n",
		"::add-mask::hunter2\r\n", "::set-output name=result::SUCCESS\r\n", "::stop-commands::fake\r\n", "::fake::\r\n", "::endgroup::\r\n",
		"caf\xc3", "\xa9 partial line",
	}}}, nil, 0)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	m := regexp.MustCompile(`(?s)::group::Jenkins console: j #1\n::stop-commands::([0-9a-f]{32})\n(.*?)\n::([0-9a-f]{32})::\n::endgroup::\n`).FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[3] {
		t.Fatalf("no protected console group in:\n%s", r.stdout)
	}
	want := "Started by remote host 127.0.0.1\n[Pipeline] sh\n::add-mask::hunter2\n::set-output name=result::SUCCESS\n::stop-commands::fake\n::fake::\n::endgroup::\ncafé partial lineFinished: SUCCESS"
	if m[2] != want {
		t.Errorf("console\n%q\nwant\n%q", m[2], want)
	}
	// Every workflow command of the Jenkins log is inside the region.
	before, after, _ := strings.Cut(r.stdout, m[0])
	for _, s := range []string{before, after} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "set-output") {
			t.Errorf("Jenkins text outside the protected region:\n%s", s)
		}
	}
	if got, _ := outputValue(r, "result"); got != "SUCCESS" {
		t.Errorf("result output %q", got)
	}
}

func TestFollowLogOff(t *testing.T) {
	t.Parallel()
	r := runFollow(t, jenkinstest.Job{FullName: "j", Build: jenkinstest.BuildScript{Duration: time.Minute, Log: []string{"secret stuff\n"}}}, map[string]string{"INPUT_LOG": "false"}, 0)
	if r.code != exitOK || strings.Contains(r.stdout, "secret stuff") || strings.Contains(r.stdout, "::group::") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	if n := r.srv.CountRequests(http.MethodGet, "/progressiveText"); n != 0 {
		t.Errorf("%d console reads with log: false", n)
	}
}

func TestFollowWaitStart(t *testing.T) {
	t.Parallel()
	r := runFollow(t, jenkinstest.Job{FullName: "j", Queue: []jenkinstest.QueueState{{Kind: jenkinstest.Blocked}}, Build: jenkinstest.BuildScript{Duration: time.Hour}}, map[string]string{"INPUT_WAIT": "start"}, 0)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if got, _ := outputValue(r, "build-number"); got != "1" {
		t.Errorf("build-number %q", got)
	}
	if _, ok := outputValue(r, "result"); ok {
		t.Error("result output set before the build finished")
	}
	if !strings.Contains(r.stdout, "Queued (blocked): Build #1 is already in progress") {
		t.Errorf("why not shown:\n%s", r.stdout)
	}
	if n := r.srv.CountRequests(http.MethodGet, "/progressiveText") + r.srv.CountRequests(http.MethodGet, "/job/j/1/api/json"); n != 0 {
		t.Errorf("%d build reads with wait: start", n)
	}
}

func TestFollowQueueFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		queue []jenkinstest.QueueState
		text  string
	}{
		{"cancelled in Jenkins", []jenkinstest.QueueState{{Kind: jenkinstest.Waiting}, {Kind: jenkinstest.Cancelled}}, "was cancelled in Jenkins before a build started"},
		{"item gone", []jenkinstest.QueueState{{Kind: jenkinstest.Dropped}}, "5 minutes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runFollow(t, jenkinstest.Job{FullName: "j", Queue: tc.queue}, nil, 0)
			if r.code != exitFailure || countLines(r.stdout, "::error") != 1 || !strings.Contains(r.stdout, tc.text) {
				t.Errorf("exit %d, want 1 and one error saying %q:\n%s", r.code, tc.text, r.stdout)
			}
			if got, _ := outputValue(r, "queue-id"); got != "1" {
				t.Errorf("queue-id output %q", got)
			}
		})
	}
}

func TestFollowTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	blocked := []jenkinstest.QueueState{}
	for range 100 {
		blocked = append(blocked, jenkinstest.QueueState{Kind: jenkinstest.Blocked, Why: "Waiting for the release lock"})
	}
	long := jenkinstest.BuildScript{Duration: 2 * time.Hour, Log: []string{"working\n"}}
	cases := []struct {
		name        string
		job         jenkinstest.Job
		settings    map[string]string
		cancelAfter time.Duration
		code        int
		say         []string
		post        string // the POST the fake must have seen, "" for none after the trigger
		stopped     bool
	}{
		{
			name: "timeout while queued cancels the item", job: jenkinstest.Job{FullName: "j", Queue: blocked},
			settings: map[string]string{"INPUT_TIMEOUT": "2m"}, code: exitTimeout,
			say:  []string{"The timeout (2m0s) expired while queue item 1 was still queued (blocked: Waiting for the release lock)", "Cancelled queue item 1"},
			post: "/queue/cancelItem",
		},
		{
			name: "timeout while running stops the build", job: jenkinstest.Job{FullName: "j", Build: long},
			settings: map[string]string{"INPUT_TIMEOUT": "45s"}, code: exitTimeout,
			say:  []string{"The timeout (45s) expired while build #1 was running (", "Stopped build #1"},
			post: "/job/j/1/stop", stopped: true,
		},
		{
			name: "workflow cancelled while running stops the build", job: jenkinstest.Job{FullName: "j", Build: long},
			cancelAfter: 10 * time.Minute, code: exitFailure,
			say:  []string{"The workflow was cancelled while build #1 was running", "Stopped build #1"},
			post: "/job/j/1/stop", stopped: true,
		},
		{
			name: "workflow cancelled while queued cancels the item", job: jenkinstest.Job{FullName: "j", Queue: blocked},
			cancelAfter: time.Minute, code: exitFailure,
			say:  []string{"The workflow was cancelled while queue item 1 was still queued", "Cancelled queue item 1"},
			post: "/queue/cancelItem",
		},
		{
			name: "cancel-on-abort false leaves Jenkins alone", job: jenkinstest.Job{FullName: "j", Build: long},
			settings: map[string]string{"INPUT_TIMEOUT": "45s", "INPUT_CANCEL-ON-ABORT": "false"}, code: exitTimeout,
			say: []string{"left alone (cancel-on-abort: false)"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runFollow(t, tc.job, tc.settings, tc.cancelAfter)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stdout)
			}
			if countLines(r.stdout, "::error") != 1 {
				t.Errorf("want one ::error:::\n%s", r.stdout)
			}
			for _, s := range tc.say {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, r.stdout)
				}
			}
			var posts []string
			for _, q := range r.srv.Requests() {
				if q.Method == http.MethodPost && !strings.HasSuffix(q.Path, "/build") {
					posts = append(posts, q.Path)
				}
			}
			if tc.post == "" && len(posts) != 0 || tc.post != "" && (len(posts) != 1 || posts[0] != tc.post) {
				t.Errorf("POSTs after the trigger: %v, want %q", posts, tc.post)
			}
			if b := r.srv.Builds("j"); tc.stopped && (len(b) != 1 || !b[0].Stopped) {
				t.Errorf("builds %+v: want #1 stopped", b)
			}
			if tc.post == "/queue/cancelItem" {
				if q := r.srv.QueueItems(); len(q) != 1 || !q[0].Cancelled {
					t.Errorf("queue %+v: want item 1 cancelled", q)
				}
			}
			// A console section opened for the build is closed before the
			// error, or the runner would not read the error as a command.
			if i, j := strings.LastIndex(r.stdout, "::endgroup::"), strings.Index(r.stdout, "::error"); i > j {
				t.Errorf("error inside the console section:\n%s", r.stdout)
			}
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	r := runFollow(t, jenkinstest.Job{FullName: "team/deploy", Queue: []jenkinstest.QueueState{{Kind: jenkinstest.Waiting}}, Build: jenkinstest.BuildScript{Duration: 83 * time.Second, Result: "UNSTABLE"}}, nil, 0)
	got := strings.ReplaceAll(r.summary, r.srv.URL, "https://ci.example.com")
	golden := filepath.Join("testdata", "summary-unstable.golden.md")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestMarkdownEscape(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"team/deploy":                   "team/deploy",
		"a|b":                           `a\|b`,
		"[x](https://evil.example)":     `\[x\]\(https\://evil.example\)`,
		"<img src=x onerror=alert(1)>":  `&lt;img src=x onerror=alert\(1\)&gt;`,
		"**bold** _it_ `code`\nnewline": "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` newline",
	}
	for in, want := range cases {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// After a failed finish the step still reports the tests and stages: the
// failing tests as annotations, the failed stage named in the step's own
// error (the first annotation, so that it is among the 10 GitHub shows), and
// the test outputs.
func TestFollowFailedBuildReportsResults(t *testing.T) {
	t.Parallel()
	// Twelve failures: more than the 10 error annotations GitHub shows.
	var cases []string
	for i := range 12 {
		cases = append(cases, fmt.Sprintf(`{"className":"app.T","name":"case%02d","status":"FAILED","errorDetails":"boom %d","duration":0.1}`, i, i))
	}
	report := []byte(`{"failCount":12,"passCount":3,"skipCount":0,"suites":[{"cases":[` + strings.Join(cases, ",") + `]}]}`)
	stages, err := os.ReadFile("jenkins/testdata/jenkins-real/wfapi-describe-failed.json")
	if err != nil {
		t.Fatal(err)
	}
	job := jenkinstest.Job{FullName: "app", Pipeline: true, Build: jenkinstest.BuildScript{
		Duration: 5 * time.Second, Result: "FAILURE", TestReport: string(report), Stages: string(stages),
	}}
	r := runFollow(t, job, nil, 0)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitFailure, r.stdout)
	}
	var errs []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "::error") {
			errs = append(errs, line)
		}
	}
	if len(errs) < 2 {
		t.Fatalf("want test annotations and the build's error, got:\n%s", r.stdout)
	}
	first := errs[0]
	if !strings.Contains(first, "FAILURE") || !strings.Contains(first, "stage") {
		t.Errorf("the first annotation %q should be the build's failure naming the failed stage (GitHub shows only 10)", first)
	}
	if len(errs) > 10 {
		t.Errorf("%d error annotations; GitHub shows 10 per step", len(errs))
	}
	if v, ok := outputValue(r, "tests-failed"); !ok || v == "" || v == "0" {
		t.Errorf("tests-failed = %q, %v; want the report's failure count", v, ok)
	}
	if !strings.Contains(r.summary, "Pipeline stages") || !strings.Contains(r.summary, "Test results") {
		t.Errorf("summary lacks the test and stage sections:\n%s", r.summary)
	}
}
