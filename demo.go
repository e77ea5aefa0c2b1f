package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// demo runs the real trigger path against an embedded fake Jenkins, so a
// newcomer can see what the action does without a Jenkins server.
func demo(ctx context.Context, e env) int {
	const user, password = "alice", "correct-horse-battery-staple"
	workspace, err := os.MkdirTemp("", "jenkins-trigger-demo")
	if err != nil {
		fmt.Fprintln(e.stderr, "demo:", err)
		return exitFailure
	}
	defer os.RemoveAll(workspace)
	srv := jenkinstest.NewServer(
		jenkinstest.WithContextPath("/jenkins"),
		jenkinstest.WithUser(user, password),
		jenkinstest.WithJob(jenkinstest.Job{
			FullName:   "team/deploy",
			Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "main"}, {Name: "NOTE"}},
			// Another build holds the job for a moment, then the build runs
			// for 3 s, writing its console as Jenkins does: CRLF line ends
			// and ConsoleNote markup, which the step cleans away.
			Queue: []jenkinstest.QueueState{
				{Kind: jenkinstest.Blocked, Why: "Build #41 is already in progress (ETA: 1 sec)"},
				{Kind: jenkinstest.Buildable},
			},
			Pipeline: true,
			Build: jenkinstest.BuildScript{
				// Two tests fail: the build is UNSTABLE, which this demo
				// allows, so the step passes and still reports them.
				Result:     "UNSTABLE",
				TestReport: demoTestReport,
				Stages:     demoStages,
				Artifacts:  map[string]string{"dist/app.tar.gz": "not really a tarball\n", "logs/deploy.log": "not downloaded\n"},
				Duration:   3 * time.Second,
				Log: []string{
					"\x1b[8mha:////4Bp5mQUxZRi+wjikn6hzszZhb1EY9UkvnIH0tqqlBOy5AAAAlx+L\x1b[0m[Pipeline] stage\r\n",
					"Deploying main...\r\n",
					"Step 1/2 done\r\n",
					"Step 2/2 done ✓\r\n",
				},
			},
		}),
	)
	defer srv.Close()

	// One stream, so the log and the outputs read in order.
	w := e.stdout
	fmt.Fprintf(w, "jenkins-trigger demo: a fake Jenkins is listening at %s\n", srv.URL)
	fmt.Fprintf(w, "It has CSRF protection on, user %q with a password (so a crumb and its session cookie are needed),\n", user)
	fmt.Fprintf(w, "and a parameterized job in a folder: team/deploy (BRANCH, NOTE).\n\n")
	settings := map[string]string{
		"JENKINS_URL":        srv.URL,
		"JENKINS_JOB":        "team/deploy",
		"JENKINS_USER":       user,
		"JENKINS_TOKEN":      password,
		"JENKINS_PARAMETERS": "BRANCH=main\nNOTE=a=b, c",
		// Follow the build to its end, streaming its console, then report
		// its tests and stages and download one artifact.
		"JENKINS_WAIT":           "true",
		"JENKINS_POLL_INTERVAL":  "2s",
		"JENKINS_ALLOW_UNSTABLE": "true",
		"JENKINS_ARTIFACTS":      "dist/*.tar.gz",
		// Where a runner would have the workspace and the job summary.
		"GITHUB_WORKSPACE":    workspace,
		"GITHUB_STEP_SUMMARY": filepath.Join(workspace, "step-summary.md"),
	}
	fmt.Fprintln(w, "Settings (as a non-GitHub CI would pass them; in a workflow they are inputs):")
	for _, k := range sortedKeys(settings) {
		v := settings[k]
		if k == "JENKINS_TOKEN" {
			v = "***"
		}
		fmt.Fprintf(w, "  %s=%s\n", k, strings.ReplaceAll(v, "\n", `\n`))
	}
	fmt.Fprintln(w, "\n--- jenkins-trigger output (outside GitHub, outputs are name=value lines) ---")
	code := run(ctx, env{
		getenv: func(k string) string { return settings[k] },
		stdout: w,
		stderr: w,
	})
	fmt.Fprintf(w, "--- exit code %d ---\n", code)
	if md, err := os.ReadFile(settings["GITHUB_STEP_SUMMARY"]); err == nil {
		fmt.Fprintf(w, "\nThe job summary it wrote (Markdown, shown on the workflow run's page):\n\n%s\n", md)
	}
	_ = filepath.WalkDir(filepath.Join(workspace, "jenkins-artifacts"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(workspace, path)
			fmt.Fprintf(w, "Downloaded artifact: <workspace>/%s\n", rel)
		}
		return nil
	})
	fmt.Fprintf(w, "\nWhat the fake Jenkins received (paths below its context path /jenkins):\n")
	for _, r := range srv.Requests() {
		fmt.Fprintf(w, "  %-4s %-56s -> %d\n", r.Method, r.Path, r.Status)
	}
	for _, q := range srv.QueueItems() {
		var ps []string
		for _, k := range sortedKeys(q.Parameters) {
			ps = append(ps, fmt.Sprintf("%s=%q", k, q.Parameters[k]))
		}
		fmt.Fprintf(w, "Queue item %d for %s with parameters %s\n", q.ID, q.Job, strings.Join(ps, " "))
	}
	return code
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// demoTestReport is a JUnit report as Jenkins serves it, trimmed.
const demoTestReport = `{"_class":"hudson.tasks.junit.TestResult","duration":4.2,"failCount":2,"passCount":41,"skipCount":1,
"suites":[{"cases":[
 {"className":"deploy.SmokeTest","name":"healthEndpointAnswers","status":"PASSED","duration":0.3,"errorDetails":null},
 {"className":"deploy.SmokeTest","name":"loginPageLoads","status":"REGRESSION","duration":1.1,"errorDetails":"expected status 200 but was 502\nat deploy.SmokeTest.loginPageLoads(SmokeTest.java:42)"},
 {"className":"deploy.MigrationTest","name":"schemaIsCurrent","status":"FAILED","duration":0.8,"errorDetails":"table users has no column last_login"}
]}]}`

// demoStages is what the Pipeline Stage View plugin serves, trimmed.
const demoStages = `{"id":"1","name":"#1","status":"UNSTABLE","durationMillis":3000,"stages":[
 {"id":"6","name":"Build","status":"SUCCESS","startTimeMillis":0,"durationMillis":900},
 {"id":"12","name":"Test","status":"UNSTABLE","startTimeMillis":900,"durationMillis":1500},
 {"id":"20","name":"Deploy","status":"SUCCESS","startTimeMillis":2400,"durationMillis":600}]}`
