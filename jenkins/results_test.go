package jenkins_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// resultsFake serves one finished build of job "team/app" with script, on a
// context path, and with a configured root URL naming an internal host the
// client must never use.
func resultsFake(t *testing.T, script jenkinstest.BuildScript, opts ...jenkinstest.Option) (*jenkinstest.Server, *jenkins.Client, jenkins.JobPath, int) {
	t.Helper()
	base := []jenkinstest.Option{
		jenkinstest.WithContextPath("/jenkins"),
		jenkinstest.WithRootURL("http://jenkins-internal.invalid:8080/jenkins"),
		jenkinstest.WithUser(testUser, testPassword),
		jenkinstest.WithAPIToken(testUser, testToken),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "team/app", Pipeline: true, Build: script}),
	}
	srv := newFake(t, append(base, opts...)...)
	n := srv.RunBuild("team/app")
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	return srv, c, mustJob(t, "team/app"), n
}

func TestTestReportRealPayloads(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture string
		want    jenkins.TestReport
	}{
		{
			fixture: "test-report-pipeline-failure-jenkins2.541.3.json",
			want: jenkins.TestReport{Passed: 2, Failed: 1, Duration: 94 * time.Millisecond, Failures: []jenkins.TestCase{
				{ClassName: "com.company.OrderServiceTest", Name: "computeTotals", Status: "FAILED", ErrorDetails: "expected 42 but was 41", Duration: 51 * time.Millisecond},
			}},
		},
		{
			// Trimmed: the totals are the server's, not a count of cases;
			// one failure has null errorDetails.
			fixture: "test-report-pipeline-parallel-failures-trimmed.json",
			want: jenkins.TestReport{Passed: 33042, Failed: 2, Skipped: 279, Duration: 28471805 * time.Millisecond, Failures: []jenkins.TestCase{
				{ClassName: "junit.framework.TestSuite", Name: "org.acme.tests.myOtherPackage.FeatureC", Status: "FAILED", ErrorDetails: "test timed out after 10 minutes", Duration: 4 * time.Millisecond},
				{ClassName: "org.acme.tests.myOtherPackage.FeatureC", Name: "testSetup", Status: "FAILED"},
			}},
		},
		{
			// Trimmed to one passing case while failCount says 2.
			fixture: "test-report-pytest-single-case-trimmed.json",
			want:    jenkins.TestReport{Passed: 37, Failed: 2, Duration: 74678 * time.Millisecond},
		},
		{
			fixture: "test-report-python-nose-failures-jenkins1x.json",
			want: jenkins.TestReport{Failed: 2, Failures: []jenkins.TestCase{
				{ClassName: "<nose.suite.ContextSuite context=jenkinsapi_tests", Name: "systests>:setup", Status: "FAILED", ErrorDetails: "Timeout error occured while waiting for Jenkins start."},
				{ClassName: "nose.failure.Failure", Name: "runTest", Status: "FAILED", ErrorDetails: "No module named mock"},
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			srv, c, job, n := resultsFake(t, jenkinstest.BuildScript{TestReport: fixture(t, tc.fixture)})
			got, err := c.TestReport(context.Background(), job, n)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("TestReport =\n%+v\nwant\n%+v", *got, tc.want)
			}
			if got.Total() != tc.want.Passed+tc.want.Failed+tc.want.Skipped {
				t.Errorf("Total = %d", got.Total())
			}
			reqs := srv.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/job/team/job/app/1/testReport/api/json" {
				t.Errorf("path %q", last.Path)
			}
			if tree := last.Query.Get("tree"); tree != "failCount,passCount,skipCount,duration,suites[cases[className,name,status,errorDetails,duration]]" {
				t.Errorf("tree = %q", tree)
			}
		})
	}
}

func TestTestReportStatuses(t *testing.T) {
	t.Parallel()
	body := `{"failCount":2,"passCount":2,"skipCount":1,"duration":1.5,"suites":[{"cases":[
		{"className":"a.B","name":"passed","status":"PASSED","errorDetails":null,"duration":0.1},
		{"className":"a.B","name":"fixed","status":"FIXED","errorDetails":null,"duration":0.1},
		{"className":"a.B","name":"failed","status":"FAILED","errorDetails":"boom","duration":0.1},
		{"className":"a.B","name":"regression","status":"REGRESSION","errorDetails":"again","duration":0.1},
		{"className":"a.B","name":"skipped","status":"SKIPPED","errorDetails":null,"duration":0}]},
		null, {"cases":null}]}`
	_, c, job, n := resultsFake(t, jenkinstest.BuildScript{TestReport: body})
	got, err := c.TestReport(context.Background(), job, n)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got.Failures {
		names = append(names, f.Name)
	}
	if want := []string{"failed", "regression"}; !reflect.DeepEqual(names, want) {
		t.Errorf("failures %v, want %v (FAILED and REGRESSION fail; FIXED passes)", names, want)
	}
}

func TestTestReportKeepsAtMostMaxFailures(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"failCount":500,"passCount":0,"skipCount":0,"suites":[{"cases":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"className":"C","name":"t","status":"FAILED","errorDetails":"x"}`)
	}
	b.WriteString(`]}]}`)
	_, c, job, n := resultsFake(t, jenkinstest.BuildScript{TestReport: b.String()})
	got, err := c.TestReport(context.Background(), job, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Failures) != jenkins.MaxFailures || got.Failed != 500 {
		t.Errorf("kept %d failures of %d; want %d", len(got.Failures), got.Failed, jenkins.MaxFailures)
	}
}

func TestTestReportNotFoundIsNil(t *testing.T) {
	t.Parallel()
	page := fixture(t, "404-testreport-not-found-redirect-page.html")
	t.Run("fake without a report", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{})
		got, err := c.TestReport(context.Background(), job, n)
		if got != nil || err != nil {
			t.Errorf("TestReport = %v, %v; want nil, nil", got, err)
		}
	})
	t.Run("real 404 page", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{}, answer("/testReport/api/json", http.StatusNotFound, "text/html;charset=utf-8", page))
		got, err := c.TestReport(context.Background(), job, n)
		if got != nil || err != nil {
			t.Errorf("TestReport = %v, %v; want nil, nil", got, err)
		}
	})
	t.Run("other errors are errors", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{}, answer("/testReport/api/json", http.StatusInternalServerError, "text/html", "<html><title>Error 500 Server Error</title></html>"))
		_, err := c.TestReport(context.Background(), job, n)
		var jerr *jenkins.Error
		if !errors.As(err, &jerr) || jerr.StatusCode != 500 {
			t.Errorf("err = %v, want a *jenkins.Error with 500", err)
		}
	})
	t.Run("not JSON is an error", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{TestReport: "<html>login</html>"})
		if _, err := c.TestReport(context.Background(), job, n); err == nil {
			t.Error("no error for an HTML body")
		}
	})
}

// answer is a fault-injection middleware: requests whose path ends with
// suffix get status and body.
func answer(suffix string, status int, contentType, body string) jenkinstest.Option {
	return jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, suffix) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	})
}

func TestStagesRealPayloads(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture    string
		want       []string // "name status duration"
		wantFailed string   // "name: message"
	}{
		{
			fixture:    "wfapi-describe-failed.json",
			want:       []string{"Declarative: Checkout SCM SUCCESS 1.314s", "Checkout SUCCESS 292ms", "Build SUCCESS 493ms", "Deploy to staging FAILED 509ms"},
			wantFailed: "Deploy to staging: Deploy failed: Discount table is empty for region EU (hudson.AbortException)",
		},
		{
			fixture:    "wfapi-describe-failed-with-not-executed-stage-jenkins2.541.3.json",
			want:       []string{"Runs SUCCESS 213ms", "Skipped NOT_EXECUTED 741ms", "Fails FAILED 685ms", "Declarative: Post Actions SUCCESS 336ms"},
			wantFailed: "Fails: script returned exit code 7 (hudson.AbortException)",
		},
		{
			fixture: "wfapi-describe-success-parallel-flat-jenkins2.541.3.json",
			want:    []string{"Setup SUCCESS 317ms", "Parallel SUCCESS 586ms", "Branch A SUCCESS 5.67s", "Branch B SUCCESS 8.74s", "Branch C SUCCESS 3.811s", "Teardown SUCCESS 144ms"},
		},
		{
			fixture: "wfapi-describe-paused-pending-input-2014.json",
			want:    []string{"Build SUCCESS 5.228s", "Test SUCCESS 4.994s", "Deploy PAUSED_PENDING_INPUT 7ms"},
		},
		{
			fixture: "wfapi-describe-success.json",
			want:    nil, // checked by count below
		},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			srv, c, job, n := resultsFake(t, jenkinstest.BuildScript{Stages: fixture(t, tc.fixture)})
			stages, err := c.Stages(context.Background(), job, n)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range stages {
				got = append(got, s.Name+" "+s.Status+" "+s.Duration.String())
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("stages =\n%q\nwant\n%q", got, tc.want)
			}
			if len(stages) == 0 {
				t.Error("no stages")
			}
			gotFailed := ""
			if f := jenkins.FailedStage(stages); f != nil {
				gotFailed = f.Name + ": " + f.Error.Message + " (" + f.Error.Type + ")"
			}
			if gotFailed != tc.wantFailed {
				t.Errorf("failed stage %q, want %q", gotFailed, tc.wantFailed)
			}
			if got := srv.CountRequests(http.MethodGet, "/job/team/job/app/1/wfapi/describe"); got != 1 {
				t.Errorf("%d requests to wfapi/describe", got)
			}
		})
	}
}

func TestStagesNotInstalledIsNil(t *testing.T) {
	t.Parallel()
	_, c, job, n := resultsFake(t, jenkinstest.BuildScript{})
	stages, err := c.Stages(context.Background(), job, n)
	if stages != nil || err != nil {
		t.Errorf("Stages = %v, %v; want nil, nil", stages, err)
	}
}

func TestBuildRecord(t *testing.T) {
	t.Parallel()
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		srv, c, job, n := resultsFake(t, jenkinstest.BuildScript{
			Description: "deployed\nto staging",
			Artifacts:   map[string]string{"dist/app.tar.gz": "tgz", "report.html": "<html>"},
		})
		rec, err := c.BuildRecord(context.Background(), job, n)
		if err != nil {
			t.Fatal(err)
		}
		want := &jenkins.BuildRecord{Description: "deployed\nto staging", Artifacts: []jenkins.Artifact{
			{RelativePath: "dist/app.tar.gz", FileName: "app.tar.gz"}, {RelativePath: "report.html", FileName: "report.html"}}}
		if !reflect.DeepEqual(rec, want) {
			t.Errorf("BuildRecord = %+v, want %+v", rec, want)
		}
		reqs := srv.Requests()
		if tree := reqs[len(reqs)-1].Query.Get("tree"); tree != "description,artifacts[relativePath,fileName]" {
			t.Errorf("tree = %q", tree)
		}
	})
	for _, tc := range []struct {
		fixture string
		want    []string
	}{
		{"build-artifacts-tree-nested-relativepath.json", []string{"bukkit/loader/build/libs/LuckPerms-Bukkit-5.5.59.jar", "bukkit-legacy/loader/build/libs/LuckPerms-Bukkit-Legacy-5.5.59.jar", "velocity/build/libs/LuckPerms-Velocity-5.5.59.jar"}},
		{"build-unstable-pipeline-with-test-result-action.json", nil},
		{"build-success-with-badge-actions.json", []string{"fish.txt"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			_, c, job, n := resultsFake(t, jenkinstest.BuildScript{}, answer("/1/api/json", 200, "application/json", fixture(t, tc.fixture)))
			arts, err := c.Artifacts(context.Background(), job, n)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range arts {
				got = append(got, a.RelativePath)
				if err := jenkins.CheckArtifactPath(a.RelativePath); err != nil {
					t.Error(err)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("artifacts %q, want %q", got, tc.want)
			}
		})
	}
}

// chunkWriter records the largest single Write, to show that a download is
// streamed rather than read whole into memory first.
type chunkWriter struct {
	n, largest int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

func TestDownloadArtifact(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef", 1<<19) // 8 MiB
	files := map[string]string{
		"dist/app 1.0+b#1%.tar.gz": "archive-bytes",
		"big.bin":                  big,
	}
	t.Run("each segment escaped, on the configured URL", func(t *testing.T) {
		t.Parallel()
		srv, c, job, n := resultsFake(t, jenkinstest.BuildScript{Artifacts: files})
		var buf bytes.Buffer
		got, err := c.DownloadArtifact(context.Background(), job, n, "dist/app 1.0+b#1%.tar.gz", &buf)
		if err != nil {
			t.Fatal(err)
		}
		if buf.String() != "archive-bytes" || got != int64(len("archive-bytes")) {
			t.Errorf("got %d %q", got, buf.String())
		}
		if c := srv.CountRequests(http.MethodGet, "/job/team/job/app/1/artifact/dist/app%201.0+b%231%25.tar.gz"); c != 1 {
			t.Errorf("requests: %+v", srv.Requests())
		}
	})
	t.Run("streamed", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{Artifacts: files})
		var w chunkWriter
		if _, err := c.DownloadArtifact(context.Background(), job, n, "big.bin", &w); err != nil {
			t.Fatal(err)
		}
		if w.n != len(big) || w.largest > 1<<20 {
			t.Errorf("wrote %d bytes, largest write %d: not streamed", w.n, w.largest)
		}
	})
	t.Run("short body is a size error", func(t *testing.T) {
		t.Parallel()
		cut := jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/artifact/") {
					w.Header().Set("Content-Length", "100")
					_, _ = w.Write([]byte("only ten b"))
					return
				}
				next.ServeHTTP(w, r)
			})
		})
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{Artifacts: files}, cut)
		_, err := c.DownloadArtifact(context.Background(), job, n, "big.bin", discard{})
		var se *jenkins.ArtifactSizeError
		if !errors.As(err, &se) || se.Expected != 100 || se.Got != 10 {
			t.Errorf("err = %v, want an ArtifactSizeError 10/100", err)
		}
	})
	t.Run("missing artifact is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		_, c, job, n := resultsFake(t, jenkinstest.BuildScript{Artifacts: files})
		_, err := c.DownloadArtifact(context.Background(), job, n, "nope.txt", discard{})
		if !errors.Is(err, jenkins.ErrNotFound) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unsafe paths are refused before any request", func(t *testing.T) {
		t.Parallel()
		srv, c, job, n := resultsFake(t, jenkinstest.BuildScript{Artifacts: files})
		before := len(srv.Requests())
		for _, p := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b", "a\x00b", "a\nb"} {
			if _, err := c.DownloadArtifact(context.Background(), job, n, p, discard{}); !errors.Is(err, jenkins.ErrInvalidArtifactPath) {
				t.Errorf("%q: err = %v, want ErrInvalidArtifactPath", p, err)
			}
		}
		if after := len(srv.Requests()); after != before {
			t.Errorf("%d requests sent for refused paths", after-before)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestArtifactURLMatchesStageView checks the artifact URLs against those
// the Stage View plugin published for the same files (wfapi/artifacts): a
// job name with a space, on a /jenkins context path.
func TestArtifactURLMatchesStageView(t *testing.T) {
	t.Parallel()
	var list []struct {
		Path string `json:"path"`
		URL  string `json:"url"`
		Size int    `json:"size"`
	}
	if err := json.Unmarshal([]byte(fixture(t, "wfapi-artifacts-2014.json")), &list); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, a := range list {
		files[a.Path] = strings.Repeat("x", a.Size)
	}
	srv := newFake(t, jenkinstest.WithContextPath("/jenkins"), jenkinstest.WithAnonymous(jenkinstest.AllPermissions...),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "Test Workflow", Pipeline: true, Build: jenkinstest.BuildScript{Artifacts: files}}))
	for range 14 {
		srv.RunBuild("Test Workflow")
	}
	c := newClient(t, srv.URL)
	for _, a := range list {
		n, err := c.DownloadArtifact(context.Background(), jenkins.JobPath{"Test Workflow"}, 14, a.Path, discard{})
		if err != nil || n != int64(a.Size) {
			t.Errorf("%s: %d bytes, %v", a.Path, n, err)
		}
		if got := srv.CountRequests(http.MethodGet, strings.TrimPrefix(a.URL, "/jenkins")); got != 1 {
			t.Errorf("no request to %s", a.URL)
		}
	}
}

// BenchmarkDownloadArtifact shows the download's memory: allocations per
// operation stay flat as the artifact grows (compare -benchmem across sizes).
func BenchmarkDownloadArtifact(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(strconv.Itoa(size>>20)+"MiB", func(b *testing.B) {
			srv := jenkinstest.NewServer(jenkinstest.WithAnonymous(jenkinstest.AllPermissions...),
				jenkinstest.WithJob(jenkinstest.Job{FullName: "app", Build: jenkinstest.BuildScript{Artifacts: map[string]string{"a.bin": strings.Repeat("x", size)}}}))
			defer srv.Close()
			n := srv.RunBuild("app")
			c, err := jenkins.New(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := c.DownloadArtifact(context.Background(), jenkins.JobPath{"app"}, n, "a.bin", discard{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
