package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// The fake's fixed credentials: it is a test server, and fixed values let a
// workflow use it without parsing its output.
const (
	fakeUser     = "alice"
	fakePassword = "correct-horse-battery-staple"
)

// serveFake runs the strict fake Jenkins of the tests on addr until ctx is
// done (Ctrl-C), for dogfooding the action in CI and for trying things by
// hand. Its jobs: team/deploy (parameters BRANCH, NOTE), hello (no
// parameters) and the multibranch branch app/feature%2Flogin. It prints its URL and credentials
// as JENKINS_* lines, ready for the environment.
//
// To be reached from a container (a Docker action on a runner), addr must
// not be a loopback address: use 0.0.0.0:PORT, and give the container the
// host's address on the Docker bridge as url.
func serveFake(ctx context.Context, addr string, e env) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError(e.stderr, fmt.Sprintf("--serve %s: %v", addr, err))
	}
	srv := jenkinstest.NewUnstartedServer(
		jenkinstest.WithContextPath("/jenkins"),
		jenkinstest.WithUser(fakeUser, fakePassword),
		jenkinstest.WithJob(jenkinstest.Job{
			FullName:   "team/deploy",
			Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "main"}, {Name: "NOTE"}},
			Build:      jenkinstest.BuildScript{Duration: 3 * time.Second, Log: []string{"Deploying...\n", "Done\n"}},
		}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "hello", Build: jenkinstest.BuildScript{Log: []string{"Hello\n"}}}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "app/feature%2Flogin", Pipeline: true}),
		// Log each request as it comes, for the CI log.
		jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(e.stderr, "# %s %s\n", r.Method, r.URL.EscapedPath())
				next.ServeHTTP(w, r)
			})
		}),
	)
	ts := srv.Unstarted()
	ts.Listener.Close()
	ts.Listener = ln
	srv.Start()
	defer srv.Close()

	w := e.stdout
	fmt.Fprintf(w, "JENKINS_URL=%s\nJENKINS_USER=%s\nJENKINS_TOKEN=%s\n", srv.URL, fakeUser, fakePassword)
	fmt.Fprintf(w, "# fake Jenkins ready; jobs: team/deploy (BRANCH, NOTE), hello, app/feature%%2Flogin\n")
	if strings.HasPrefix(ln.Addr().String(), "[::]") || strings.HasPrefix(ln.Addr().String(), "0.0.0.0") {
		fmt.Fprintf(w, "# listening on all interfaces: from a container, use this host's address instead of %s\n", ln.Addr())
	}
	<-ctx.Done()
	return exitOK
}
