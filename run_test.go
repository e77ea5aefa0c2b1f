package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

const (
	secretPassword   = "pw-SECRET-4f1c9e"
	secretToken      = "11deadbeefdeadbeefdeadbeefdeadbeef"
	secretBuildToken = "bt-SECRET-9a7b3d"
)

// step is one run of the action as the GitHub runner would start it.
type step struct {
	inputs map[string]string // input name -> value, e.g. "build-token"
	env    map[string]string // other variables
	github bool
}

type stepResult struct {
	code    int
	stdout  string
	stderr  string
	outputs map[string]string
	rawOut  string // GITHUB_OUTPUT file content
}

func (s step) run(t *testing.T) stepResult {
	t.Helper()
	vars := map[string]string{}
	for k, v := range s.env {
		vars[k] = v
	}
	dir := t.TempDir()
	outFile := filepath.Join(dir, "output")
	if s.github {
		vars["GITHUB_ACTIONS"] = "true"
		vars["GITHUB_OUTPUT"] = outFile
		vars["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary")
		if err := os.WriteFile(outFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range s.inputs {
		// The runner upper-cases the name and keeps hyphens.
		vars["INPUT_"+strings.ToUpper(name)] = v
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), env{getenv: func(k string) string { return vars[k] }, stdout: &stdout, stderr: &stderr, clientOptions: []jenkins.Option{jenkins.WithBackoff(noWaitRetries)}})
	res := stepResult{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	if s.github {
		b, _ := os.ReadFile(outFile)
		res.rawOut = string(b)
		res.outputs = parseOutputFile(t, res.rawOut)
	} else {
		for _, line := range strings.Split(res.stdout, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				res.outputs[k] = v
			}
		}
	}
	return res
}

// parseOutputFile reads a GITHUB_OUTPUT file as the runner does.
func parseOutputFile(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

func fakeJenkins(t *testing.T, opts ...jenkinstest.Option) *jenkinstest.Server {
	t.Helper()
	base := []jenkinstest.Option{
		jenkinstest.WithContextPath("/jenkins"),
		jenkinstest.WithUser("alice", secretPassword),
		jenkinstest.WithAPIToken("alice", secretToken),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "team/deploy", Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH"}, {Name: "NOTE"}}}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "remote", BuildToken: secretBuildToken}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "off", Disabled: true}),
	}
	s := jenkinstest.NewServer(append(base, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// TestRunPasswordFolderParameters is the acceptance scenario:
// password auth, a folder job, parameters BRANCH=main and NOTE=a=b, c.
func TestRunPasswordFolderParameters(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t)
	res := step{github: true, inputs: map[string]string{
		"url": srv.URL + "/", "job": "team/deploy", "user": "alice", "token": secretPassword,
		"build-token": "", "parameters": "BRANCH=main\nNOTE=a=b, c",
	}}.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	items := srv.QueueItems()
	if len(items) != 1 || items[0].Parameters["BRANCH"] != "main" || items[0].Parameters["NOTE"] != "a=b, c" {
		t.Fatalf("queue = %+v, want exactly one item with BRANCH=main NOTE=a=b, c", items)
	}
	want := map[string]string{"status-code": "201", "queue-url": srv.URL + "/queue/item/1/", "queue-id": "1"}
	for k, v := range want {
		if res.outputs[k] != v {
			t.Errorf("output %s = %q, want %q (file: %q)", k, res.outputs[k], v, res.rawOut)
		}
	}
	for _, r := range srv.Requests() {
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "jenkins-trigger/") {
			t.Errorf("User-Agent %q does not name the product and version", ua)
		}
	}
	// The password is masked before anything else is printed.
	first, _, _ := strings.Cut(res.stdout, "\n")
	if first != "::add-mask::"+secretPassword {
		t.Errorf("first line %q, want the password's add-mask", first)
	}
	assertNoSecrets(t, res, srv)
}

// assertNoSecrets checks that no secret appears anywhere but in add-mask
// commands.
func assertNoSecrets(t *testing.T, res stepResult, srv *jenkinstest.Server) {
	t.Helper()
	secrets := []string{secretPassword, secretToken, secretBuildToken}
	if srv != nil {
		for _, r := range srv.Requests() {
			if c := r.Header.Get("Jenkins-Crumb"); c != "" {
				secrets = append(secrets, c)
			}
			if c := r.Header.Get("Cookie"); c != "" {
				_, v, _ := strings.Cut(c, "=")
				secrets = append(secrets, v)
			}
		}
	}
	var visible []string
	for _, line := range strings.Split(res.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			visible = append(visible, line)
		}
	}
	text := strings.Join(visible, "\n") + res.stderr + res.rawOut
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret %.8s… is visible in the step's output:\n%s", s, text)
		}
	}
}

func TestRunOutsideGitHub(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t)
	res := step{env: map[string]string{
		"JENKINS_URL": srv.URL, "JENKINS_JOB": "plain", "JENKINS_USER": "alice", "JENKINS_TOKEN": secretToken,
	}}.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if res.outputs["status-code"] != "201" || res.outputs["queue-id"] != "1" {
		t.Errorf("stdout %q, want name=value outputs", res.stdout)
	}
	if strings.Contains(res.stdout+res.stderr, "::") {
		t.Errorf("workflow commands outside GitHub:\n%s%s", res.stdout, res.stderr)
	}
	assertNoSecrets(t, res, srv)
}

func TestRunPluginVariables(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t)
	res := step{env: map[string]string{
		"PLUGIN_URL": srv.URL, "PLUGIN_JOB": "remote", "PLUGIN_BUILD_TOKEN": secretBuildToken,
		"PLUGIN_USER": "alice", "PLUGIN_TOKEN": secretToken,
	}}.run(t)
	if res.code != 0 || len(srv.QueueItems()) != 1 {
		t.Fatalf("exit %d, queue %v: %s", res.code, srv.QueueItems(), res.stderr)
	}
}

func TestRunBuildTokenWithHyphenInput(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t, jenkinstest.WithAnonymous(jenkinstest.PermOverallRead, jenkinstest.PermItemRead))
	res := step{github: true, inputs: map[string]string{"url": srv.URL, "job": "remote", "build-token": secretBuildToken}}.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if !strings.Contains(res.stdout, "::add-mask::"+secretBuildToken) {
		t.Errorf("build token not masked")
	}
	var post jenkinstest.Request
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			post = r
		}
	}
	if post.Form.Get("token") != secretBuildToken {
		t.Errorf("build token not sent in the body: %v", post.Form)
	}
	assertNoSecrets(t, res, srv)
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t, jenkinstest.WithUser("reader", "reader-pw", jenkinstest.PermOverallRead, jenkinstest.PermItemRead))
	closed := jenkinstest.NewServer()
	closedURL := closed.URL
	closed.Close()
	cases := []struct {
		name   string
		inputs map[string]string
		code   int
		want   []string
	}{
		{"missing url", map[string]string{"url": "", "job": "plain"}, 2, []string{"url is required"}},
		{"missing job", map[string]string{"url": srv.URL, "job": "  "}, 2, []string{"job is required"}},
		{"user without token", map[string]string{"url": srv.URL, "job": "plain", "user": "alice"}, 2, []string{"token is empty"}},
		{"malformed url", map[string]string{"url": "ci.example.com", "job": "plain"}, 2, []string{"https://"}},
		{"bad parameters", map[string]string{"url": srv.URL, "job": "team/deploy", "user": "alice", "token": secretToken, "parameters": "BRANCH main"}, 2,
			[]string{"parameters", "line 1"}},
		{"bad job", map[string]string{"url": srv.URL, "job": "a/../b"}, 2, []string{"job"}},
		{"401", map[string]string{"url": srv.URL, "job": "plain", "user": "alice", "token": "11" + strings.Repeat("0", 32)}, 1,
			[]string{"401", "check user and token"}},
		{"403 with the permission", map[string]string{"url": srv.URL, "job": "plain", "user": "reader", "token": "reader-pw"}, 1,
			[]string{"403", "hudson.model.Item.Build"}},
		{"404 says both causes", map[string]string{"url": srv.URL, "job": "team/nope", "user": "alice", "token": secretToken}, 1,
			[]string{"404", "may not see it", "/jenkins/job/team/job/nope/"}},
		{"409 disabled", map[string]string{"url": srv.URL, "job": "off", "user": "alice", "token": secretToken}, 1,
			[]string{"409", "disabled"}},
		{"connection refused", map[string]string{"url": closedURL, "job": "plain", "user": "alice", "token": secretToken}, 1,
			[]string{"connect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := step{github: true, inputs: tc.inputs}.run(t)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", res.code, tc.code, res.stdout)
			}
			var errs []string
			for _, line := range strings.Split(res.stdout, "\n") {
				if strings.HasPrefix(line, "::error") {
					errs = append(errs, line)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("want exactly one ::error:: annotation, got %d:\n%s", len(errs), res.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("annotation %q does not mention %q", errs[0], w)
				}
			}
			if strings.Contains(errs[0], "<") {
				t.Errorf("annotation contains HTML: %s", errs[0])
			}
			if res.rawOut != "" {
				t.Errorf("outputs written on failure before anything was queued: %q", res.rawOut)
			}
			assertNoSecrets(t, res, srv)
		})
	}
}

// An output value with a line break could write other outputs through the
// library's fixed heredoc delimiter; the reporter refuses it.
func TestSetOutputRefusesLineBreaks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
	var stdout bytes.Buffer
	r := newReporter(func(k string) string { return vars[k] }, &stdout, &stdout)
	evil := "x\n_GitHubActionsFileCommandDelimeter_\nresult=SUCCESS"
	if err := r.SetOutput("queue-url", evil); err == nil {
		t.Fatal("SetOutput accepted a value with a line break")
	}
	if b, _ := os.ReadFile(out); len(b) != 0 {
		t.Errorf("output file written: %q", b)
	}
}

func middleware(f func(w http.ResponseWriter, r *http.Request) bool) jenkinstest.Option {
	return jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !f(w, r) {
				next.ServeHTTP(w, r)
			}
		})
	})
}

func TestRunEdgeCases(t *testing.T) {
	t.Parallel()
	auth := func(in map[string]string) map[string]string {
		in["user"], in["token"] = "alice", secretToken
		return in
	}
	cases := []struct {
		name     string
		server   []jenkinstest.Option
		inputs   map[string]string
		code     int
		annot    string            // "::error" or "::warning" line that must mention want
		want     string            // text in that line
		outputs  map[string]string // expected outputs (nil: none checked)
		noOutput bool
	}{
		{name: "wrong build token without a user", server: []jenkinstest.Option{jenkinstest.WithAnonymous(jenkinstest.PermOverallRead, jenkinstest.PermItemRead)},
			inputs: map[string]string{"job": "remote", "build-token": "wrong-token"}, code: 1, annot: "::error", want: "refused the build token"},
		{name: "201 without Location is queued", server: []jenkinstest.Option{middleware(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == "POST" {
				w.WriteHeader(201)
				return true
			}
			return false
		})}, inputs: auth(map[string]string{"job": "plain"}), code: 0, annot: "::warning", want: "queued the build",
			outputs: map[string]string{"status-code": "201", "queue-url": "", "queue-id": ""}},
		{name: "sso redirect fails", server: []jenkinstest.Option{middleware(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == "POST" {
				http.Redirect(w, r, "https://sso.example.com/login", http.StatusFound)
				return true
			}
			return false
		})}, inputs: auth(map[string]string{"job": "plain"}), code: 1, annot: "::error", want: "not a queue item", noOutput: true},
		{name: "http to https redirect gets a hint", server: []jenkinstest.Option{middleware(func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "https://ci.example.com"+r.URL.Path, http.StatusMovedPermanently)
			return true
		})}, inputs: map[string]string{"job": "plain", "user": "alice", "token": secretPassword}, code: 1, annot: "::error", want: "use https:// in url", noOutput: true},
		{name: "job name that is a workflow command", inputs: auth(map[string]string{"job": "::warning::pwned"}), code: 2, annot: "::error", want: "':'", noOutput: true},
		{name: "parameter named token with a build token", inputs: auth(map[string]string{"job": "remote", "build-token": secretBuildToken, "parameters": "token=mine"}),
			code: 2, annot: "::error", want: "collide", noOutput: true},
		{name: "missing overall read", server: []jenkinstest.Option{jenkinstest.WithUser("nobody", "nobody-pw", jenkinstest.PermItemRead)},
			inputs: map[string]string{"job": "plain", "user": "nobody", "token": "nobody-pw"}, code: 1, annot: "::error", want: "lacks Overall/Read on Jenkins", noOutput: true},
		{name: "job given as a URL path", inputs: auth(map[string]string{"job": "job/team/job/deploy"}), code: 1, annot: "::error", want: "looks like a URL path", noOutput: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeJenkins(t, tc.server...)
			tc.inputs["url"] = srv.URL
			res := step{github: true, inputs: tc.inputs}.run(t)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", res.code, tc.code, res.stdout)
			}
			found := false
			for _, line := range strings.Split(res.stdout, "\n") {
				if strings.HasPrefix(line, tc.annot) && strings.Contains(line, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s line mentioning %q:\n%s", tc.annot, tc.want, res.stdout)
			}
			for k, v := range tc.outputs {
				if got, ok := res.outputs[k]; !ok || got != v {
					t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
				}
			}
			if tc.noOutput && res.rawOut != "" {
				t.Errorf("outputs written: %q", res.rawOut)
			}
			assertNoSecrets(t, res, srv)
		})
	}
}

// The library panics when GITHUB_OUTPUT cannot be written; the step must
// instead say that the build was queued, in one annotation, and exit 1.
func TestRunUnwritableOutputFile(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t)
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing-dir", "out"),
		"INPUT_URL": srv.URL, "INPUT_JOB": "plain", "INPUT_USER": "alice", "INPUT_TOKEN": secretToken,
	}
	var stdout bytes.Buffer
	code := run(context.Background(), env{getenv: func(k string) string { return vars[k] }, stdout: &stdout, stderr: &stdout})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "::error") || !strings.Contains(stdout.String(), "the build was queued ("+srv.URL+"/queue/item/1/)") {
		t.Errorf("want one error naming the queued build:\n%s", stdout.String())
	}
}

func TestRunKeepsParameterValuesAsWritten(t *testing.T) {
	t.Parallel()
	srv := fakeJenkins(t)
	res := step{github: true, inputs: map[string]string{"url": srv.URL, "job": "team/deploy", "user": "alice", "token": secretToken,
		"parameters": "\nBRANCH=main\nNOTE=trailing spaces  \n"}}.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	if got := srv.QueueItems()[0].Parameters["NOTE"]; got != "trailing spaces  " {
		t.Errorf("NOTE = %q, want the trailing spaces kept", got)
	}
}

func TestDefuseCommands(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Queued (blocked): waiting":                 "Queued (blocked): waiting",
		"Blocked by ‘x’ ##[stop-commands]zz":        "Blocked by ‘x’ #\u200b#[stop-commands]zz",
		"::add-mask::x":                             "» ::add-mask::x",
		"  \t::warning::x":                          "» ::warning::x",
		"first\n::set-output name=a::b\n##[error]x": "first\n» ::set-output name=a::b\n#\u200b#[error]x",
		"a :: b": "a :: b",
	}
	for in, want := range cases {
		if got := defuseCommands(in); got != want {
			t.Errorf("defuseCommands(%q) = %q, want %q", in, got, want)
		}
	}
}
