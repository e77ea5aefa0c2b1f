package main

import (
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// Bad input gives one clear ::error:: and exit code 2, and reaches no
// server.
func TestBadInputIsRejected(t *testing.T) {
	t.Parallel()
	srv := jenkinstest.NewServer(jenkinstest.WithJob(jenkinstest.Job{FullName: "team/deploy"}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"url with user info", map[string]string{"INPUT_URL": "https://bob:pw@ci.example.com/"}, "must not contain a user name or password"},
		{"url with a query", map[string]string{"INPUT_URL": "https://ci.example.com/?a=b"}, "must not have a query"},
		{"url with a fragment", map[string]string{"INPUT_URL": "https://ci.example.com/#x"}, "fragment"},
		{"url without scheme", map[string]string{"INPUT_URL": "ci.example.com"}, "must start with https://"},
		{"job with ..", map[string]string{"INPUT_JOB": "team/../admin"}, `".." is not an item name`},
		{"job with ;", map[string]string{"INPUT_JOB": "team/de;ploy"}, `';' is not allowed`},
		{"job with ?", map[string]string{"INPUT_JOB": "deploy?delay=0"}, `'?' is not allowed`},
		{"job with #", map[string]string{"INPUT_JOB": "deploy#x"}, `'#' is not allowed`},
		{"job with an empty segment", map[string]string{"INPUT_JOB": "team//deploy"}, "empty name"},
		{"job URL on another host", map[string]string{"INPUT_JOB": "https://evil.example.com/job/team/job/deploy/"}, "is not on the Jenkins server"},
		{"job URL of a build", map[string]string{"INPUT_JOB": "URL/job/team/job/deploy/42/"}, "copy the job's URL, not a build's"},
		{"parameters with NUL", map[string]string{"INPUT_PARAMETERS": "A=1\x00"}, "parameters contains a NUL character"},
		{"parameters with invalid UTF-8", map[string]string{"INPUT_PARAMETERS": "A=\xff\xfe"}, "parameters is not valid UTF-8"},
		{"parameters without =", map[string]string{"INPUT_PARAMETERS": "A"}, "line 1 has no '='"},
		{"oversized job", map[string]string{"INPUT_JOB": strings.Repeat("a", 9000)}, "job is 9000 bytes long, more than the 8192 allowed"},
		{"oversized token", map[string]string{"INPUT_USER": "alice", "INPUT_TOKEN": strings.Repeat("t", 10000)}, "token is 10000 bytes long"},
		{"oversized parameters", map[string]string{"INPUT_PARAMETERS": "A=" + strings.Repeat("v", 1<<20)}, "parameters is 1048578 bytes long"},
		{"user with invalid UTF-8", map[string]string{"INPUT_USER": "al\xffice", "INPUT_TOKEN": "x"}, "user is not valid UTF-8"},
		{"insecure not a boolean", map[string]string{"INPUT_INSECURE": "yes please"}, `"yes please" is not true or false`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"INPUT_URL": srv.URL, "INPUT_JOB": "team/deploy"}
			for k, v := range tc.vars {
				vars[k] = strings.ReplaceAll(v, "URL/", srv.URL+"/")
			}
			res := runScenario(t, true, vars)
			if res.code != exitConfig {
				t.Errorf("exit code %d, want %d", res.code, exitConfig)
			}
			var errLines []string
			for _, line := range strings.Split(res.stdout, "\n") {
				if strings.HasPrefix(line, "::error") {
					errLines = append(errLines, line)
				}
			}
			if len(errLines) != 1 || !strings.Contains(errLines[0], "title=Invalid settings::") || !strings.Contains(errLines[0], tc.want) {
				t.Errorf("want one ::error:: with title Invalid settings mentioning %q, got:\n%s", tc.want, res.stdout)
			}
			if len(srv.Requests()) != 0 {
				t.Errorf("bad input reached Jenkins: %v", srv.Requests())
			}
		})
	}
}
