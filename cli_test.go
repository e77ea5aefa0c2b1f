package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/version"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
	"github.com/sethvargo/go-envconfig"
)

// runCLI runs the command line with the given environment and returns the
// exit code, stdout and stderr.
func runCLI(t *testing.T, vars map[string]string, files map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{
		getenv: func(k string) string { return vars[k] },
		stdout: &stdout,
		stderr: &stderr,
		readFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
	code := cli(context.Background(), args, e)
	return code, stdout.String(), stderr.String()
}

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStdout: "--build-token VALUE"},
		{name: "short help", args: []string{"-h"}, wantCode: exitOK, wantStdout: "Settings. Each is looked up in this order"},
		{name: "help after run", args: []string{"run", "--help"}, wantCode: exitOK, wantStdout: "Outputs"},
		{name: "version", args: []string{"--version"}, wantCode: exitOK, wantStdout: version.Name + " " + version.Version + " (commit "},
		{name: "unknown flag", args: []string{"--jobs", "x"}, wantCode: exitConfig, wantStderr: "flag provided but not defined: -jobs"},
		{name: "unknown command", args: []string{"trigger"}, wantCode: exitConfig, wantStderr: `unknown command "trigger"`},
		{name: "stray argument", args: []string{"--url", "http://j", "team/deploy"}, wantCode: exitConfig, wantStderr: `unexpected argument "team/deploy"`},
		{name: "stray argument after run", args: []string{"run", "x"}, wantCode: exitConfig, wantStderr: `unexpected argument "x"`},
		{name: "flag without value", args: []string{"--url"}, wantCode: exitConfig, wantStderr: "flag needs an argument: -url"},
		{name: "setting flags are not demo flags", args: []string{"demo", "--url", "x"}, wantCode: exitConfig, wantStderr: "flag provided but not defined: -url"},
		{name: "flag given twice", args: []string{"--job", "a", "--job", "b"}, wantCode: exitConfig, wantStderr: "--job given twice"},
		{name: "token and token file", args: []string{"--token", "a", "--token-file", "/t"}, wantCode: exitConfig, wantStderr: "--token-file given twice (or with --token)"},
		{name: "missing token file", args: []string{"--token-file", "/nope"}, wantCode: exitConfig, wantStderr: "reading token: open /nope"},
		{name: "no settings", args: nil, wantCode: exitConfig, wantStderr: "url is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, nil, nil, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr)
			}
			if tc.wantCode == exitConfig && tc.args != nil && !strings.Contains(stderr, "--help") {
				t.Errorf("a usage error should point at --help:\n%s", stderr)
			}
		})
	}
}

func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		flags map[string]string
		vars  map[string]string
		want  string
	}{
		{name: "flag over input", flags: map[string]string{"USER": "flag"}, vars: map[string]string{"INPUT_USER": "input", "JENKINS_USER": "env"}, want: "flag"},
		{name: "input over env", vars: map[string]string{"INPUT_USER": "input", "JENKINS_USER": "env", "PLUGIN_USER": "plugin"}, want: "input"},
		{name: "env", vars: map[string]string{"JENKINS_USER": "env", "PLUGIN_USER": "plugin"}, want: "env"},
		{name: "empty flag is unset", flags: map[string]string{"USER": " "}, vars: map[string]string{"JENKINS_USER": "env"}, want: "env"},
		{name: "default", want: "the-default"},
		{name: "flag over default", flags: map[string]string{"USER": "flag"}, want: "flag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c struct {
				User string `env:"USER, default=the-default"`
			}
			l := withFlags(tc.flags, lookuper(func(k string) string { return tc.vars[k] }))
			if err := envconfig.ProcessWith(context.Background(), &envconfig.Config{Target: &c, Lookuper: l}); err != nil {
				t.Fatal(err)
			}
			if c.User != tc.want {
				t.Errorf("User = %q, want %q", c.User, tc.want)
			}
		})
	}
}

func TestCLITrigger(t *testing.T) {
	t.Parallel()
	const user, password = "alice", "s3cret-password"
	srv := jenkinstest.NewServer(
		jenkinstest.WithUser(user, password),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "hello"}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "ping"}),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "team/deploy", Parameters: []jenkinstest.ParameterDefinition{{Name: "BRANCH"}}}),
	)
	t.Cleanup(srv.Close)

	cases := []struct {
		name  string
		vars  map[string]string
		files map[string]string
		args  []string
		want  string // the queued job's full name
	}{
		{
			name: "flags only",
			args: []string{"--url", srv.URL, "--job", "hello", "--user", user, "--token", password},
			want: "hello",
		},
		{
			name: "flag overrides input and env",
			vars: map[string]string{"INPUT_URL": srv.URL, "INPUT_JOB": "nope", "JENKINS_JOB": "nope", "JENKINS_USER": user, "JENKINS_TOKEN": password},
			args: []string{"--job", "team/deploy", "--parameters", "BRANCH=main"},
			want: "team/deploy",
		},
		{
			name:  "token from a file, trailing newline trimmed",
			files: map[string]string{"/run/secrets/token": password + "\n"},
			vars:  map[string]string{"JENKINS_TOKEN": "wrong"},
			args:  []string{"run", "--url", srv.URL, "--job", "ping", "--user", user, "--token-file", "/run/secrets/token"},
			want:  "ping",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: each case counts the queue items it added, and
			// triggers its own job so that Jenkins merges nothing.
			before := len(srv.QueueItems())
			code, stdout, stderr := runCLI(t, tc.vars, tc.files, tc.args...)
			if code != exitOK {
				t.Fatalf("exit code = %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			items := srv.QueueItems()
			if len(items) != before+1 {
				t.Fatalf("queue items = %d, want %d", len(items), before+1)
			}
			if got := items[len(items)-1].Job; got != tc.want {
				t.Errorf("queued job = %q, want %q", got, tc.want)
			}
			if !strings.Contains(stdout, "status-code=201\n") {
				t.Errorf("stdout has no status-code output:\n%s", stdout)
			}
			if strings.Contains(stdout+stderr, password) {
				t.Errorf("the password appears in the output")
			}
		})
	}
}

func TestCLIDemo(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, nil, "demo")
	if code != exitOK {
		t.Fatalf("demo exit code = %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "queue-id=1") {
		t.Errorf("demo output has no queue-id:\n%s", stdout)
	}
}

func TestServeFake(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		e := env{getenv: func(string) string { return "" }, stdout: pw, stderr: io.Discard}
		done <- cli(ctx, []string{"demo", "--serve", "127.0.0.1:0"}, e)
		pw.Close()
	}()

	// The fake prints its settings as JENKINS_* lines, then a comment.
	vars := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "#") {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vars[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, k := range []string{"JENKINS_URL", "JENKINS_USER", "JENKINS_TOKEN"} {
		if vars[k] == "" {
			t.Fatalf("the fake printed no %s: %v", k, vars)
		}
	}

	for _, job := range []string{"team/deploy", "hello", "app/feature%2Flogin"} {
		vars := map[string]string{"JENKINS_URL": vars["JENKINS_URL"], "JENKINS_USER": vars["JENKINS_USER"], "JENKINS_TOKEN": vars["JENKINS_TOKEN"], "JENKINS_JOB": job}
		code, stdout, stderr := runCLI(t, vars, nil)
		if code != exitOK {
			t.Errorf("trigger %s on the served fake: exit code %d\n%s%s", job, code, stdout, stderr)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exit code = %d, want 0", code)
	}
}

func TestServeFakeBadAddress(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, nil, nil, "demo", "--serve", "not-an-address")
	if code != exitConfig || !strings.Contains(stderr, "--serve not-an-address") {
		t.Errorf("exit code %d, stderr %q; want 2 and the address", code, stderr)
	}
}

func TestLoadConfigMasksSecretsFirst(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"JENKINS_URL": "http://j", "JENKINS_JOB": "a", "JENKINS_USER": "u", "JENKINS_TOKEN": "tok", "INPUT_BUILD-TOKEN": "bt"}
	var masked []string
	cfg, err := loadConfig(context.Background(), func(k string) string { return vars[k] }, func(s string) { masked = append(masked, s) })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "tok" || cfg.BuildToken != "bt" {
		t.Errorf("config = %+v", cfg)
	}
	if strings.Join(masked, ",") != "tok,bt" {
		t.Errorf("masked %q, want the token and the build token", masked)
	}
}

func TestCLISecretFlagValuesNeverShown(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--token", "S3cretFirst", "--token", "S3cretSecond"},
		{"--token=S3cretFirst", "--token=S3cretSecond"},
		{"--build-token", "S3cretFirst", "-build-token=S3cretSecond"},
	} {
		var out bytes.Buffer
		code := cli(context.Background(), args, env{getenv: func(string) string { return "" }, stdout: &out, stderr: &out})
		if code != exitConfig {
			t.Errorf("%v: exit %d, want %d", args, code, exitConfig)
		}
		if strings.Contains(out.String(), "S3cret") {
			t.Errorf("%v: a secret flag's value is shown:\n%s", args, out.String())
		}
	}
}

func TestCLIBareBooleanFlagAndEmptyTokenFile(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	files := map[string][]byte{"empty": []byte("\n")}
	e := env{getenv: func(string) string { return "" }, stdout: &out, stderr: &out,
		readFile: func(p string) ([]byte, error) { return files[p], nil }}
	if code := cli(context.Background(), []string{"--token-file", "empty"}, e); code != exitConfig || !strings.Contains(out.String(), "is empty") {
		t.Errorf("empty --token-file: exit %d\n%s", code, out.String())
	}
	out.Reset()
	// A bare boolean flag parses; the run then stops at the missing url.
	if code := cli(context.Background(), []string{"--insecure", "--allow-unstable"}, e); code != exitConfig || !strings.Contains(out.String(), "url is required") {
		t.Errorf("bare boolean flags: exit %d\n%s", code, out.String())
	}
}
