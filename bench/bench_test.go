// Package bench measures what a trigger costs, end to end: the real static
// binary, started as the runner starts it, against the fake Jenkins with an
// injected round-trip latency. Run it with
//
//	go test -run '^$' -bench . -benchtime 20x ./bench/
//
// The figures and how to read them are in docs/performance.md.
package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

const (
	user     = "alice"
	password = "bench-password"
	token    = "11aaaabbbbccccddddeeeeffff00001111"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// buildBinary builds the command with the Dockerfile's flags.
func buildBinary(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jenkins-trigger-bench")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "jenkins-trigger")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binary, "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// BenchmarkTrigger reports, per scenario and round-trip time: wall time of
// the whole step (ns/op, process start included), requests per trigger,
// process start to first request, and peak RSS.
func BenchmarkTrigger(b *testing.B) {
	bin := buildBinary(b)
	params := []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "main"}}
	scenarios := []struct {
		name   string
		job    string
		secret string
		params string
	}{
		{"api-token", "plain", token, ""},
		{"password", "plain", password, ""},
		{"api-token+parameters", "param", token, "BRANCH=release"},
		{"password+parameters", "param", password, "BRANCH=release"},
		{"api-token+parameterized-job-no-parameters", "param", token, ""},
	}
	for _, rtt := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		for _, sc := range scenarios {
			b.Run(fmt.Sprintf("%s/rtt=%s", sc.name, rtt), func(b *testing.B) {
				srv := jenkinstest.NewServer(
					jenkinstest.WithLatency(rtt),
					jenkinstest.WithUser(user, password),
					jenkinstest.WithAPIToken(user, token),
					jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}),
					jenkinstest.WithJob(jenkinstest.Job{FullName: "param", Parameters: params}),
				)
				defer srv.Close()
				env := []string{
					"INPUT_URL=" + srv.URL, "INPUT_JOB=" + sc.job, "INPUT_USER=" + user,
					"INPUT_TOKEN=" + sc.secret, "INPUT_PARAMETERS=" + sc.params,
				}
				run := func(sample bool) int64 {
					cmd := exec.Command(bin)
					cmd.Env = env
					var out bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &out
					var rss int64
					var err error
					if sample {
						rss, err = runPeakRSS(cmd)
					} else {
						err = cmd.Run()
					}
					if err != nil {
						b.Fatalf("%v\n%s", err, out.Bytes())
					}
					return rss
				}
				var startup time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					before := len(srv.Requests())
					start := time.Now()
					run(false)
					reqs := srv.Requests()
					if len(reqs) > before {
						startup += reqs[before].Received.Sub(start)
					}
				}
				b.StopTimer()
				requests := len(srv.Requests())
				// Memory from one more run, outside the timed ones: sampling
				// /proc would slow the start-up being measured.
				maxRSS := run(true)
				b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
				b.ReportMetric(float64(startup.Microseconds())/1000/float64(b.N), "ms-to-first-request")
				b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
			})
		}
	}
}

// BenchmarkBinarySize reports the size of the static binary the image ships.
func BenchmarkBinarySize(b *testing.B) {
	bin := buildBinary(b)
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "binary-MB")
}
