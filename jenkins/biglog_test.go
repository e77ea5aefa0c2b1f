package jenkins_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// TestGeneratedConsole follows a build whose console the fake generates
// (BuildScript.LogSize) and checks that it arrives whole, once, in order,
// over several progressiveText reads, X-Text-Size and X-More-Data included.
func TestGeneratedConsole(t *testing.T) {
	t.Parallel()
	for _, size := range []int64{1, 63, 64, 65, 1 << 20, 3<<20 + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			job := jenkinstest.Job{FullName: "j", Build: jenkinstest.BuildScript{
				Duration: time.Minute, EstimatedDuration: -1, LogSize: size}}
			srv, c, clock, id := followFake(t, job)
			var raw bytes.Buffer
			res, err := c.Follow(context.Background(), mustJob(t, "j"), id, jenkins.FollowOptions{Console: &raw, Clock: clock, Jitter: midJitter})
			if err != nil {
				t.Fatal(err)
			}
			want := "Started by remote host 127.0.0.1\r\n" + string(jenkinstest.GeneratedLog(0, size)) + "Finished: SUCCESS\r\n"
			if raw.String() != want {
				t.Fatalf("console: got %d bytes, want %d; first difference at %d", raw.Len(), len(want), firstDiff(raw.String(), want))
			}
			if n := srv.CountRequests("GET", "/logText/progressiveText"); n < 3 {
				t.Errorf("%d console reads: want the log to arrive over several", n)
			}
			if !res.Build.Finished() {
				t.Errorf("build %+v: want finished", res.Build)
			}
		})
	}
}

func TestGeneratedLogLines(t *testing.T) {
	t.Parallel()
	all := jenkinstest.GeneratedLog(0, 3*64)
	if got, want := string(all[:64]), "line 0000000000 of the generated console......................\r\n"; got != want {
		t.Errorf("line 0: %q, want %q", got, want)
	}
	if got := string(all[64*2 : 64*2+15]); got != "line 0000000002" {
		t.Errorf("line 2 starts %q", got)
	}
	for off := int64(0); off < int64(len(all)); off += 7 {
		if got := jenkinstest.GeneratedLog(off, 11); !bytes.Equal(got, all[off:min(off+11, int64(len(all)))]) && off+11 <= int64(len(all)) {
			t.Errorf("GeneratedLog(%d, 11) = %q, want %q", off, got, all[off:off+11])
		}
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
