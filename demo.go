package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// demo runs the real trigger path against an embedded fake Jenkins, so a
// newcomer can see what the action does without a Jenkins server.
func demo(ctx context.Context, e env) int {
	const user, password = "alice", "correct-horse-battery-staple"
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
				Duration: 3 * time.Second,
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
		// Follow the build to its end, streaming its console.
		"JENKINS_WAIT":          "true",
		"JENKINS_POLL_INTERVAL": "2s",
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
	fmt.Fprintf(w, "--- exit code %d ---\n\nWhat the fake Jenkins received:\n", code)
	for _, r := range srv.Requests() {
		fmt.Fprintf(w, "  %-4s %-48s -> %d\n", r.Method, r.Path, r.Status)
	}
	for _, q := range srv.QueueItems() {
		fmt.Fprintf(w, "Queue item %d for %s with parameters %v\n", q.ID, q.Job, q.Parameters)
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
