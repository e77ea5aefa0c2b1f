package bench

import (
	"flag"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

var huge = flag.Bool("huge", false, "also stream a 500 MB console in BenchmarkStreamLog (about 10 s)")

// BenchmarkStreamLog reports the binary's peak RSS while it follows a
// build (wait: true, log: true) whose console of the given size the fake
// generates on the fly; ns/op is the whole step, the 2 s build included. The 500 MB
// case runs only with -huge:
//
//	go test -run '^$' -bench StreamLog -benchtime 1x ./bench/ -huge
func BenchmarkStreamLog(b *testing.B) {
	bin := buildBinary(b)
	sizes := []int64{1 << 20, 50 << 20}
	if *huge {
		sizes = append(sizes, 500<<20)
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("log=%dMB", size>>20), func(b *testing.B) {
			srv := jenkinstest.NewServer(
				jenkinstest.WithAPIToken(user, token),
				jenkinstest.WithJob(jenkinstest.Job{FullName: "big", Build: jenkinstest.BuildScript{
					Duration: 2 * time.Second, EstimatedDuration: 2 * time.Second, LogSize: size}}),
			)
			defer srv.Close()
			env := []string{
				"INPUT_URL=" + srv.URL, "INPUT_JOB=big", "INPUT_USER=" + user, "INPUT_TOKEN=" + token,
				"INPUT_WAIT=true", "INPUT_LOG=true", "INPUT_TEST_REPORT=false",
			}
			var maxRSS int64
			var got int64
			for b.Loop() {
				cmd := exec.Command(bin)
				cmd.Env = env
				out := &countWriter{}
				cmd.Stdout, cmd.Stderr = out, out // the log goes to stderr outside GitHub
				rss, err := runPeakRSS(cmd)
				if err != nil {
					b.Fatalf("%v", err)
				}
				got = out.n
				maxRSS = max(maxRSS, rss)
			}
			if got < size/64*63 { // CRLF becomes LF
				b.Fatalf("the step printed %d bytes of a %d-byte console", got, size)
			}
			b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
		})
	}
}

// countWriter counts what the step prints and drops it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
