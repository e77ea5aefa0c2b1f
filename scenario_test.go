package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// scenarioResult is everything a run of the action produced.
type scenarioResult struct {
	code    int
	stdout  string
	stderr  string
	outputs string // the GITHUB_OUTPUT file
	summary string // the GITHUB_STEP_SUMMARY file
}

// streams names each place a run writes to, for assertions over all of them.
func (r scenarioResult) streams() map[string]string {
	return map[string]string{"stdout": r.stdout, "stderr": r.stderr, "outputs": r.outputs, "summary": r.summary}
}

// noWaitRetries retries twice without waiting: scenarios with transient
// faults take no time.
var noWaitRetries = jenkins.BackoffFunc(func(retry int) (time.Duration, bool) { return 0, retry <= 2 })

// runScenario runs the action as the GitHub runner would (GITHUB_ACTIONS,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files in a temporary directory),
// with vars as its environment (INPUT_URL, ...). github false runs it as a
// plain container outside GitHub. tweak may change the env, to inject a
// transport.
func runScenario(t *testing.T, github bool, vars map[string]string, tweak ...func(*env)) scenarioResult {
	t.Helper()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "github_output")
	sumFile := filepath.Join(dir, "step_summary")
	for _, f := range []string{outFile, sumFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]string{}
	if github {
		all["GITHUB_ACTIONS"] = "true"
		all["GITHUB_OUTPUT"] = outFile
		all["GITHUB_STEP_SUMMARY"] = sumFile
	}
	for k, v := range vars {
		all[k] = v
	}
	var stdout, stderr bytes.Buffer
	e := env{
		getenv:        func(k string) string { return all[k] },
		stdout:        &stdout,
		stderr:        &stderr,
		clientOptions: []jenkins.Option{jenkins.WithBackoff(noWaitRetries)},
	}
	for _, f := range tweak {
		f(&e)
	}
	code := run(context.Background(), e)
	out, _ := os.ReadFile(outFile)
	sum, _ := os.ReadFile(sumFile)
	return scenarioResult{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: string(out), summary: string(sum)}
}
