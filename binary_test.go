package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// buildBinary builds the command exactly as the Dockerfile does: static,
// CGO_ENABLED=0, -trimpath.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jenkins-trigger-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "jenkins-trigger")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// TestBinaryWithRunnerEnvironment runs the static binary the way the GitHub
// runner starts the container: INPUT_* variables, hyphenated names
// included, and a GITHUB_OUTPUT file.
func TestBinaryWithRunnerEnvironment(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	srv := fakeJenkins(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + out,
		"INPUT_URL=" + srv.URL,
		"INPUT_JOB=team/deploy",
		"INPUT_USER=alice",
		"INPUT_TOKEN=" + secretPassword,
		"INPUT_BUILD-TOKEN=",
		"INPUT_PARAMETERS=BRANCH=main\nNOTE=a=b, c",
	}
	if runtime.GOOS == "windows" {
		t.Skip("the action runs on Linux")
	}
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("binary: %v\n%s", err, stdout)
	}
	items := srv.QueueItems()
	if len(items) != 1 || items[0].Parameters["BRANCH"] != "main" || items[0].Parameters["NOTE"] != "a=b, c" {
		t.Fatalf("queue = %+v, want one build with BRANCH=main NOTE=a=b, c", items)
	}
	b, _ := os.ReadFile(out)
	outputs := parseOutputFile(t, string(b))
	if outputs["status-code"] != "201" || outputs["queue-url"] != srv.URL+"/queue/item/1/" {
		t.Errorf("outputs %v, want status-code=201 and the queue URL", outputs)
	}
	if strings.Contains(strings.ReplaceAll(string(stdout), "::add-mask::"+secretPassword, ""), secretPassword) {
		t.Errorf("password visible in the log:\n%s", stdout)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
