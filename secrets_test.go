package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// Distinctive secret values: none of them may appear in anything the
// action prints or writes, except in the ::add-mask:: lines that hide them.
const (
	leakUser       = "alice"
	leakPassword   = "pw-S3CRET-horse-battery-4711"
	leakToken      = "1150ec12e750ec12e750ec12e750ec12e7" // "11" + 32 hex, as Jenkins makes API tokens
	leakBuildToken = "bt-S3CRET-remote-trigger-0815"
)

// leakScenario is one run of the action whose output is checked for
// secrets.
type leakScenario struct {
	name string
	// server starts the fake Jenkins (nil: none) and returns the url input.
	server func(t *testing.T) (*jenkinstest.Server, string)
	vars   map[string]string // inputs besides url, over the defaults below
	tweak  func(*env)
	code   int
}

func fakeFor(t *testing.T, tls bool, opts ...jenkinstest.Option) (*jenkinstest.Server, string) {
	t.Helper()
	base := []jenkinstest.Option{
		jenkinstest.WithUser(leakUser, leakPassword), jenkinstest.WithAPIToken(leakUser, leakToken),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "team/deploy", BuildToken: leakBuildToken, Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH"}}}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "off", Disabled: true}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "guarded", BuildToken: "another-token"}),
	}
	var s *jenkinstest.Server
	if tls {
		s = jenkinstest.NewTLSServer(append(base, opts...)...)
	} else {
		s = jenkinstest.NewServer(append(base, opts...)...)
	}
	t.Cleanup(s.Close)
	return s, s.URL
}

func plainFake(opts ...jenkinstest.Option) func(t *testing.T) (*jenkinstest.Server, string) {
	return func(t *testing.T) (*jenkinstest.Server, string) { return fakeFor(t, false, opts...) }
}

func leakScenarios() []leakScenario {
	post := func(f jenkinstest.Fault) jenkinstest.Option {
		f.Method = http.MethodPost
		return jenkinstest.WithFault(f)
	}
	return []leakScenario{
		{name: "success with password, crumb and cookie", server: plainFake(), code: exitOK},
		{name: "success with api token", server: plainFake(), vars: map[string]string{"INPUT_TOKEN": leakToken}, code: exitOK},
		{name: "success, waiting for the result (console and summary)", server: plainFake(), vars: map[string]string{"INPUT_WAIT": "true"}, code: exitOK},
		{name: "anonymous with a build token, no read permission", server: plainFake(), vars: map[string]string{"INPUT_USER": "", "INPUT_TOKEN": ""}, code: exitFailure}, // anonymous lacks Overall/Read
		{name: "401 wrong password", server: plainFake(), vars: map[string]string{"INPUT_TOKEN": leakPassword + "-wrong"}, code: exitFailure},
		{name: "403 missing permission", server: plainFake(jenkinstest.WithUser("bob", leakPassword, jenkinstest.PermOverallRead, jenkinstest.PermItemRead)),
			vars: map[string]string{"INPUT_USER": "bob", "INPUT_BUILD-TOKEN": ""}, code: exitFailure},
		{name: "403 wrong build token", server: plainFake(), vars: map[string]string{"INPUT_JOB": "guarded", "INPUT_PARAMETERS": ""}, code: exitFailure},
		{name: "404 no such job", server: plainFake(), vars: map[string]string{"INPUT_JOB": "nope"}, code: exitFailure},
		{name: "409 disabled job", server: plainFake(), vars: map[string]string{"INPUT_JOB": "off", "INPUT_PARAMETERS": ""}, code: exitFailure},
		{name: "500 whose page echoes the build token", server: plainFake(post(jenkinstest.Fault{Status: 500,
			Body: "<html><body><h2>HTTP ERROR 500</h2><table><tr><th>MESSAGE:</th><td>bad request token=" + leakBuildToken + " pw=" + leakPassword + "</td></tr></table></body></html>"})),
			code: exitFailure},
		{name: "crumb refused twice", server: plainFake(post(jenkinstest.Fault{Status: 403, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: "No valid crumb was included in the request"})), code: exitFailure},
		{name: "answer lost, build found", server: plainFake(post(jenkinstest.Fault{Requests: []int{1}, Action: jenkinstest.DropAfter})), code: exitOK},
		{name: "answer lost, nothing found", server: plainFake(post(jenkinstest.Fault{Action: jenkinstest.DropBefore})), code: exitFailure},
		{name: "proxy 502 then success", server: plainFake(post(jenkinstest.Fault{Requests: []int{1}, Status: 502})), code: exitOK},
		{name: "jenkins never answers", server: plainFake(jenkinstest.WithFault(jenkinstest.Fault{Action: jenkinstest.Hang})),
			tweak: func(e *env) {
				e.clientOptions = append(e.clientOptions, jenkins.WithRequestTimeout(50*time.Millisecond))
			}, code: exitFailure},
		{name: "connection refused", server: func(t *testing.T) (*jenkinstest.Server, string) {
			s, u := fakeFor(t, false)
			s.Close()
			return nil, u
		}, code: exitFailure},
		{name: "untrusted TLS certificate", server: func(t *testing.T) (*jenkinstest.Server, string) { return fakeFor(t, true) }, code: exitFailure},
		{name: "password in the url", server: func(t *testing.T) (*jenkinstest.Server, string) {
			return nil, "https://" + leakUser + ":" + leakPassword + "@ci.example.com/"
		}, code: exitConfig},
		{name: "token in the url query", server: func(t *testing.T) (*jenkinstest.Server, string) {
			return nil, "https://ci.example.com/?token=" + leakBuildToken
		}, code: exitConfig},
		{name: "bad parameters", server: plainFake(), vars: map[string]string{"INPUT_PARAMETERS": "BRANCH=main\nno equals sign"}, code: exitConfig},
		{name: "bad job", server: plainFake(), vars: map[string]string{"INPUT_JOB": "team/../deploy"}, code: exitConfig},
		{name: "bad ca-cert", server: plainFake(), vars: map[string]string{"INPUT_CA-CERT": "-----BEGIN CERTIFICATE-----\n" + leakPassword + "\n-----END CERTIFICATE-----"}, code: exitConfig},
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	for _, github := range []bool{true, false} {
		for _, sc := range leakScenarios() {
			name := sc.name
			if !github {
				name += " outside GitHub"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv, u := sc.server(t)
				vars := map[string]string{
					"INPUT_URL":         u,
					"INPUT_JOB":         "team/deploy",
					"INPUT_USER":        leakUser,
					"INPUT_TOKEN":       leakPassword,
					"INPUT_BUILD-TOKEN": leakBuildToken,
					"INPUT_PARAMETERS":  "BRANCH=main",
				}
				for k, v := range sc.vars {
					vars[k] = v
				}
				var tweaks []func(*env)
				if sc.tweak != nil {
					tweaks = append(tweaks, sc.tweak)
				}
				res := runScenario(t, github, vars, tweaks...)
				if res.code != sc.code {
					t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, sc.code, res.stdout, res.stderr)
				}
				if github && vars["INPUT_WAIT"] == "true" && (res.summary == "" || !strings.Contains(res.stdout, "Finished: SUCCESS")) {
					t.Errorf("the wait scenario wrote no summary or console, so it checks nothing there:\n%s", res.stdout)
				}
				secrets := []string{leakPassword, leakToken, leakBuildToken}
				if srv != nil {
					secrets = append(secrets, sessionSecrets(srv)...)
				}
				assertNoLeaks(t, res, github, secrets)
			})
		}
	}
}

// sessionSecrets returns the crumbs and session cookie values that the
// client sent to the fake.
func sessionSecrets(srv *jenkinstest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if c := r.Header.Get("Jenkins-Crumb"); c != "" {
			out = append(out, c)
		}
		req := http.Request{Header: r.Header}
		for _, ck := range req.Cookies() {
			out = append(out, ck.Value)
		}
	}
	return out
}

// assertNoLeaks fails when a secret appears in what the run wrote,
// except in an ::add-mask:: line (under GitHub, the only way to hide it).
func assertNoLeaks(t *testing.T, res scenarioResult, github bool, secrets []string) {
	t.Helper()
	for stream, text := range res.streams() {
		for _, line := range strings.Split(text, "\n") {
			if github && strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			for _, s := range secrets {
				if s != "" && strings.Contains(line, s) {
					t.Errorf("%s leaks the secret %.6s…: %q", stream, s, line)
				}
			}
		}
	}
	if github {
		// Every secret that was used must have been masked.
		for _, s := range secrets {
			if strings.Contains(res.stdout, s) && !strings.Contains(res.stdout, "::add-mask::"+s) {
				t.Errorf("secret %.6s… is not masked", s)
			}
		}
	}
}
