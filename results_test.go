package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
	"github.com/sethvargo/go-envconfig"
)

const realFixtures = "jenkins/testdata/jenkins-real"

func realFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// resultsRun is one reportResults call in a fake runner.
type resultsRun struct {
	script jenkinstest.BuildScript
	cfg    Config
	opts   []jenkinstest.Option
	// prepare may plant files in the workspace before the run.
	prepare func(t *testing.T, workspace string)
}

type resultsRunResult struct {
	out       resultsOutputs
	err       error
	stdout    string
	summary   string
	rawOut    string
	outputs   map[string]string
	workspace string
	srv       *jenkinstest.Server
}

func (r resultsRun) run(t *testing.T) resultsRunResult {
	t.Helper()
	srv := fakeJenkins(t, append([]jenkinstest.Option{
		jenkinstest.WithRootURL("http://jenkins-internal.invalid:8080/jenkins"),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "team/app", Pipeline: true, Build: r.script}),
	}, r.opts...)...)
	n := srv.RunBuild("team/app")
	client, err := jenkins.New(srv.URL, jenkins.WithBasicAuth("alice", secretToken))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ws := filepath.Join(dir, "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if r.prepare != nil {
		r.prepare(t, ws)
	}
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    ws,
	}
	for _, f := range []string{"output", "summary"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	rep := newReporter(func(k string) string { return vars[k] }, &stdout, &stderr)
	cfg := r.cfg
	if cfg.ArtifactsDir == "" {
		cfg.ArtifactsDir = "jenkins-artifacts"
	}
	out, err := reportResults(context.Background(), client, rep, jenkins.JobPath{"team", "app"}, n, &cfg, nil)
	res := resultsRunResult{out: out, err: err, stdout: stdout.String(), workspace: ws, srv: srv}
	b, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	res.summary = string(b)
	b, _ = os.ReadFile(vars["GITHUB_OUTPUT"])
	res.rawOut = string(b)
	res.outputs = parseOutputFile(t, res.rawOut)
	return res
}

func hostileReport(t *testing.T) string {
	t.Helper()
	type tc struct {
		ClassName    string  `json:"className"`
		Name         string  `json:"name"`
		Status       string  `json:"status"`
		ErrorDetails *string `json:"errorDetails"`
		Duration     float64 `json:"duration"`
	}
	str := func(s string) *string { return &s }
	cases := []tc{
		{"com.acme.Pipe|Table", "renders `code` and <script>alert(1)</script>", "FAILED", str("line one | with pipe\nline two\n::warning::injected"), 0.5},
		{"com.acme.Props", "title, with: comma and colon", "REGRESSION", str("100% broken\r\n%0A::error::fake\n_GitHubActionsFileCommandDelimeter_"), 1.25},
		{"", "no class *bold* _em_ [link](http://x) @octocat #1 $x$", "FAILED", nil, 0},
		{"com.acme.Fixed", "fixed", "FIXED", nil, 0.1},
		{"com.acme.Ctrl", "escape \x1b[31mred\x1b[0m", "FAILED", str("\n\n  first non-blank line\x1b[0m  \nsecond"), 0.01},
	}
	for i := range 22 {
		cases = append(cases, tc{"com.acme.Many", fmt.Sprintf("case%02d", i), "FAILED", str(fmt.Sprintf("failure %d", i)), 0.002})
	}
	b, err := json.Marshal(map[string]any{"failCount": 26, "passCount": 1000, "skipCount": 7, "duration": 4000.5, "suites": []any{map[string]any{"cases": cases}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const hostileStages = `{"status":"FAILED","stages":[
 {"name":"Build | <b>bold</b>\nsecond line","status":"SUCCESS","durationMillis":65000},
 {"name":"Deploy ` + "`prod`" + `","status":"FAILED","durationMillis":3723000,"error":{"message":"exit 1 | see @ops\nmore","type":"hudson.AbortException"}},
 {"name":"Post","status":"NOT_EXECUTED","durationMillis":0}]}`

// TestReportResultsGolden renders the summary, the workflow commands and the
// outputs of real and hostile payloads. Run with -update to rewrite them.
func TestReportResultsGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		r    resultsRun
	}{
		{"pipeline-failure", resultsRun{
			script: jenkinstest.BuildScript{
				TestReport:  realFixture(t, "test-report-pipeline-failure-jenkins2.541.3.json"),
				Stages:      realFixture(t, "wfapi-describe-failed.json"),
				Description: "Deployed to staging\nby alice",
				Artifacts:   map[string]string{"dist/app.tar.gz": "tgz", "reports/junit/report.html": "<html>", "other.txt": "x"},
			},
			cfg: Config{TestReport: true, Artifacts: "dist/*.tar.gz\n**/report.html\nmissing/*.zip"},
		}},
		{"nose-not-executed-stage", resultsRun{
			script: jenkinstest.BuildScript{
				TestReport: realFixture(t, "test-report-python-nose-failures-jenkins1x.json"),
				Stages:     realFixture(t, "wfapi-describe-failed-with-not-executed-stage-jenkins2.541.3.json"),
			},
			cfg: Config{TestReport: true},
		}},
		{"parallel-trimmed", resultsRun{
			script: jenkinstest.BuildScript{
				TestReport: realFixture(t, "test-report-pipeline-parallel-failures-trimmed.json"),
				Stages:     realFixture(t, "wfapi-describe-success-parallel-flat-jenkins2.541.3.json"),
			},
			cfg: Config{TestReport: true},
		}},
		{"pytest-failures-not-listed", resultsRun{
			script: jenkinstest.BuildScript{TestReport: realFixture(t, "test-report-pytest-single-case-trimmed.json")},
			cfg:    Config{TestReport: true},
		}},
		{"hostile", resultsRun{
			script: jenkinstest.BuildScript{
				TestReport:  hostileReport(t),
				Stages:      hostileStages,
				Description: "first\n_GitHubActionsFileCommandDelimeter_\ninjected=1\ntests-failed<<EOF\n0\nEOF",
			},
			cfg: Config{TestReport: true},
		}},
		{"no-report", resultsRun{cfg: Config{TestReport: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := tc.r.run(t)
			if res.err != nil {
				t.Fatalf("reportResults: %v", res.err)
			}
			var outs strings.Builder
			keys := make([]string, 0, len(res.outputs))
			for k := range res.outputs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v, _ := json.Marshal(res.outputs[k])
				fmt.Fprintf(&outs, "%s=%s\n", k, v)
			}
			golden(t, tc.name+".summary.md", res.summary)
			golden(t, tc.name+".annotations.txt", res.stdout)
			golden(t, tc.name+".outputs.txt", outs.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", "results", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run TestReportResultsGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

func TestReportResultsBehaviour(t *testing.T) {
	t.Parallel()
	report := realFixture(t, "test-report-pipeline-failure-jenkins2.541.3.json")

	t.Run("annotations: the first 10 failing tests, escaped", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{script: jenkinstest.BuildScript{TestReport: hostileReport(t)}, cfg: Config{TestReport: true}}.run(t)
		var errs []string
		for _, line := range strings.Split(res.stdout, "\n") {
			if strings.HasPrefix(line, "::error ") {
				errs = append(errs, line)
			}
		}
		if len(errs) != 10 {
			t.Fatalf("%d error annotations, want 10:\n%s", len(errs), res.stdout)
		}
		if want := "::error title=com.acme.Props.title%2C with%3A comma and colon::100%25 broken%0A%250A::error::fake%0A_GitHubActionsFileCommandDelimeter_"; errs[1] != want {
			t.Errorf("annotation\n%s\nwant\n%s", errs[1], want)
		}
		if strings.Contains(res.stdout, "\n::warning::injected") {
			t.Error("a line break in error details started a workflow command")
		}
	})
	t.Run("summary: at most 20 failing tests", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{script: jenkinstest.BuildScript{TestReport: hostileReport(t)}, cfg: Config{TestReport: true}}.run(t)
		if !strings.Contains(res.summary, "(first 20 of 26)") || strings.Contains(res.summary, "case16") || !strings.Contains(res.summary, "case15") {
			t.Errorf("summary does not stop at 20 failing tests:\n%s", res.summary)
		}
	})
	t.Run("test-report false reads no report", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{script: jenkinstest.BuildScript{TestReport: report}, cfg: Config{TestReport: false}}.run(t)
		if n := res.srv.CountRequests(http.MethodGet, "/testReport/api/json"); n != 0 {
			t.Errorf("%d test report requests", n)
		}
		if res.outputs["tests-total"] != "" || strings.Contains(res.stdout, "::error") {
			t.Errorf("reported tests: %q\n%s", res.outputs, res.stdout)
		}
	})
	t.Run("an unreadable report warns and does not fail", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{
			script: jenkinstest.BuildScript{TestReport: report, Stages: realFixture(t, "wfapi-describe-failed.json")},
			cfg:    Config{TestReport: true},
			opts: []jenkinstest.Option{jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/testReport/api/json") || strings.HasSuffix(r.URL.Path, "/wfapi/describe") {
						w.WriteHeader(http.StatusInternalServerError)
						return
					}
					next.ServeHTTP(w, r)
				})
			})},
		}.run(t)
		if res.err != nil {
			t.Errorf("err = %v, want nil: an unreadable report must not fail the step", res.err)
		}
		if strings.Count(res.stdout, "::warning::Could not read") != 2 || strings.Contains(res.stdout, "::error") {
			t.Errorf("want two warnings and no error:\n%s", res.stdout)
		}
		if res.outputs["tests-total"] != "" {
			t.Errorf("tests-total = %q", res.outputs["tests-total"])
		}
	})
	t.Run("the failed stage is named", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{script: jenkinstest.BuildScript{Stages: realFixture(t, "wfapi-describe-failed.json")}}.run(t)
		if want := `stage "Deploy to staging" failed: Deploy failed: Discount table is empty for region EU`; res.out.FailedStage != want {
			t.Errorf("FailedStage = %q, want %q", res.out.FailedStage, want)
		}
	})
	t.Run("a pattern that matches nothing is a warning", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{script: jenkinstest.BuildScript{Artifacts: map[string]string{"a.txt": "a"}}, cfg: Config{Artifacts: "*.zip"}}.run(t)
		if res.err != nil || !strings.Contains(res.stdout, `::warning::No artifact of team/app #1 matches "*.zip"`) || res.outputs["artifacts"] != "[]" {
			t.Errorf("err %v, outputs %q:\n%s", res.err, res.outputs, res.stdout)
		}
	})
	t.Run("artifacts land in artifacts-dir", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{
			script: jenkinstest.BuildScript{Artifacts: map[string]string{"dist/app 1.tar.gz": "tgz", "x/y/report.html": "<html>", "skip.txt": "-"}},
			cfg:    Config{Artifacts: "dist/*.tar.gz\n**/report.html", ArtifactsDir: "out/jenkins"},
		}.run(t)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if want := `["out/jenkins/dist/app 1.tar.gz","out/jenkins/x/y/report.html"]`; res.outputs["artifacts"] != want {
			t.Errorf("artifacts = %s, want %s", res.outputs["artifacts"], want)
		}
		b, err := os.ReadFile(filepath.Join(res.workspace, "out", "jenkins", "dist", "app 1.tar.gz"))
		if err != nil || string(b) != "tgz" {
			t.Errorf("content %q, %v", b, err)
		}
		if _, err := os.Stat(filepath.Join(res.workspace, "out", "jenkins", "skip.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("an unmatched artifact was downloaded: %v", err)
		}
	})
	t.Run("a path outside artifacts-dir is refused", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{
			script: jenkinstest.BuildScript{Artifacts: map[string]string{"../../escape.txt": "pwned", "ok.txt": "fine"}},
			cfg:    Config{Artifacts: "**"},
		}.run(t)
		if !errors.Is(res.err, errArtifacts) || !strings.Contains(res.stdout, "would write outside jenkins-artifacts") {
			t.Errorf("err = %v\n%s", res.err, res.stdout)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(res.workspace), "escape.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Error("escape.txt was written outside the workspace")
		}
		if res.outputs["artifacts"] != `["jenkins-artifacts/ok.txt"]` {
			t.Errorf("the safe artifact was not downloaded: %q", res.outputs["artifacts"])
		}
	})
	t.Run("a symlink in artifacts-dir is not followed", func(t *testing.T) {
		t.Parallel()
		var outside string
		res := resultsRun{
			script: jenkinstest.BuildScript{Artifacts: map[string]string{"dist/app.tar.gz": "pwned"}},
			cfg:    Config{Artifacts: "dist/*"},
			prepare: func(t *testing.T, ws string) {
				outside = t.TempDir()
				if err := os.MkdirAll(filepath.Join(ws, "jenkins-artifacts"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, filepath.Join(ws, "jenkins-artifacts", "dist")); err != nil {
					t.Fatal(err)
				}
			},
		}.run(t)
		if !errors.Is(res.err, errArtifacts) {
			t.Errorf("err = %v", res.err)
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Errorf("written through the symlink: %v", entries)
		}
	})
	t.Run("a cut download leaves no file", func(t *testing.T) {
		t.Parallel()
		res := resultsRun{
			script: jenkinstest.BuildScript{Artifacts: map[string]string{"app.bin": "whole content"}},
			cfg:    Config{Artifacts: "*.bin"},
			opts: []jenkinstest.Option{jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/artifact/") {
						w.Header().Set("Content-Length", "1000")
						_, _ = w.Write([]byte("half"))
						return
					}
					next.ServeHTTP(w, r)
				})
			})},
		}.run(t)
		if !errors.Is(res.err, errArtifacts) || !strings.Contains(res.stdout, "Content-Length said 1000") {
			t.Errorf("err = %v\n%s", res.err, res.stdout)
		}
		entries, _ := os.ReadDir(filepath.Join(res.workspace, "jenkins-artifacts"))
		if len(entries) != 0 {
			t.Errorf("left behind: %v", entries)
		}
	})
}

// TestMultilineOutputInjection shows that a description holding
// go-githubactions' fixed delimiter would set other outputs through
// SetOutput, and does not through setMultilineOutput.
func TestMultilineOutputInjection(t *testing.T) {
	t.Parallel()
	evil := "ok\n_GitHubActionsFileCommandDelimeter_\ninjected<<_GitHubActionsFileCommandDelimeter_\nowned\n_GitHubActionsFileCommandDelimeter_\ntail"
	newRep := func(t *testing.T) (*reporter, string) {
		file := filepath.Join(t.TempDir(), "output")
		vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": file}
		return newReporter(func(k string) string { return vars[k] }, &bytes.Buffer{}, &bytes.Buffer{}), file
	}
	t.Run("go-githubactions SetOutput is injectable", func(t *testing.T) {
		t.Parallel()
		rep, file := newRep(t)
		rep.gha.SetOutput("description", evil)
		b, _ := os.ReadFile(file)
		if got := parseOutputFile(t, string(b)); got["injected"] != "owned" {
			t.Skipf("go-githubactions no longer uses a fixed delimiter: %q", got)
		}
	})
	t.Run("setMultilineOutput is not", func(t *testing.T) {
		t.Parallel()
		rep, file := newRep(t)
		if err := setMultilineOutput(rep, "description", evil); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(file)
		got := parseOutputFile(t, string(b))
		if len(got) != 1 || got["description"] != evil {
			t.Errorf("outputs = %q, want only description = the whole value", got)
		}
	})
	t.Run("single-line values go through SetOutput", func(t *testing.T) {
		t.Parallel()
		rep, file := newRep(t)
		if err := setMultilineOutput(rep, "description", "one line"); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(file)
		if got := parseOutputFile(t, string(b)); got["description"] != "one line" {
			t.Errorf("outputs = %q", got)
		}
	})
}

func TestResultsConfig(t *testing.T) {
	t.Parallel()
	base := map[string]string{"INPUT_URL": "https://ci.example.com", "INPUT_JOB": "a"}
	cases := []struct {
		name    string
		env     map[string]string
		check   func(*Config) bool
		wantErr string
	}{
		{"defaults", nil, func(c *Config) bool {
			return bool(c.TestReport) && c.ArtifactsDir == "jenkins-artifacts" && c.Artifacts == ""
		}, ""},
		{"empty inputs take the defaults", map[string]string{"INPUT_TEST-REPORT": "", "INPUT_ARTIFACTS-DIR": ""}, func(c *Config) bool { return bool(c.TestReport) && c.ArtifactsDir == "jenkins-artifacts" }, ""},
		{"test-report false", map[string]string{"INPUT_TEST-REPORT": "false"}, func(c *Config) bool { return !bool(c.TestReport) }, ""},
		{"patterns", map[string]string{"INPUT_ARTIFACTS": "dist/*.tar.gz\n**/report.html"}, func(c *Config) bool { return strings.Contains(c.Artifacts, "**/report.html") }, ""},
		{"artifacts-dir outside the workspace", map[string]string{"INPUT_ARTIFACTS-DIR": "../x"}, nil, "artifacts-dir"},
		{"absolute artifacts-dir", map[string]string{"INPUT_ARTIFACTS-DIR": "/tmp/x"}, nil, "artifacts-dir"},
		{"bad pattern", map[string]string{"INPUT_ARTIFACTS": "ok\n/abs/*"}, nil, "line 2"},
		{"bad boolean", map[string]string{"INPUT_TEST-REPORT": "maybe"}, nil, "test-report: \"maybe\" is not true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tc.env {
				vars[k] = v
			}
			c, err := loadConfig(context.Background(), func(k string) string { return vars[k] }, func(string) {})
			if tc.wantErr != "" {
				if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want a settings error mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(c) {
				t.Errorf("config %+v, err %v", c, err)
			}
		})
	}
}

// TestActionYAMLMatchesSettings checks that every setting is an input of
// action.yml with the same default, since the defaults that apply are Go's.
func TestActionYAMLMatchesSettings(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{} // name -> default
	section := ""
	current := ""
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":"):
			section = strings.TrimSuffix(line, ":")
		case section == "inputs" && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			current = strings.TrimSpace(strings.TrimSuffix(line, ":"))
			inputs[current] = ""
		case section == "inputs" && strings.HasPrefix(strings.TrimSpace(line), "default:"):
			v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "default:"))
			inputs[current] = strings.Trim(v, `"'`)
		}
	}
	for _, s := range settings {
		def, ok := inputs[s.Input]
		if !ok {
			t.Errorf("action.yml has no input %s", s.Input)
			continue
		}
		if def != s.Default {
			t.Errorf("input %s: action.yml default %q, Go default %q", s.Input, def, s.Default)
		}
	}
	// The env tags' defaults are the table's.
	var c Config
	if err := envconfig.ProcessWith(context.Background(), &envconfig.Config{Target: &c, Lookuper: envconfig.MapLookuper(map[string]string{"URL": "u", "JOB": "j"})}); err != nil {
		t.Fatal(err)
	}
	if !c.TestReport || c.ArtifactsDir != "jenkins-artifacts" {
		t.Errorf("envconfig defaults: %+v", c)
	}
}

func TestBidiControlsRemoved(t *testing.T) {
	t.Parallel()
	in := "safe\u202Etxt.exe\u2066x\u2069"
	for name, got := range map[string]string{"oneLine": oneLine(in, 100), "printable": printable(in), "mdCell": mdCell(in)} {
		if strings.ContainsAny(got, "\u202E\u2066\u2069") {
			t.Errorf("%s kept a bidi control: %q", name, got)
		}
	}
}
