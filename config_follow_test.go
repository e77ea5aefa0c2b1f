package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFollowSettingsDefaults(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"INPUT_URL": "https://ci.example.com", "INPUT_JOB": "j"}
	cfg, err := loadConfig(context.Background(), func(k string) string { return vars[k] }, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Wait != waitNone || time.Duration(cfg.Timeout) != 30*time.Minute || time.Duration(cfg.PollInterval) != 10*time.Second ||
		!bool(cfg.Log) || bool(cfg.AllowUnstable) || !bool(cfg.CancelOnAbort) {
		t.Errorf("defaults %+v", cfg)
	}
	// The settings table and action.yml say the same.
	yml, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		switch s.Key {
		case "WAIT", "TIMEOUT", "POLL_INTERVAL", "LOG", "ALLOW_UNSTABLE", "CANCEL_ON_ABORT":
		default:
			continue
		}
		_, rest, ok := strings.Cut(string(yml), "\n  "+s.Input+":\n")
		var block []string // the input's own lines, indented by 4
		for _, l := range strings.Split(rest, "\n") {
			if !strings.HasPrefix(l, "    ") {
				break
			}
			block = append(block, strings.TrimSpace(l))
		}
		if !ok || !slices.Contains(block, "default: \""+s.Default+"\"") {
			t.Errorf("action.yml input %s lacks default: %q", s.Input, s.Default)
		}
	}
}

func TestFollowSettingsInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct{ key, value, say string }{
		{"INPUT_WAIT", "maybe", "not one of false, start, true"},
		{"INPUT_TIMEOUT", "30", "45s, 30m or 2h"},
		{"INPUT_TIMEOUT", "-5m", "positive duration"},
		{"JENKINS_POLL_INTERVAL", "soon", "45s, 30m or 2h"},
		{"INPUT_LOG", "sometimes", "not true or false"},
		{"INPUT_ALLOW-UNSTABLE", "yep", "not true or false"},
		{"INPUT_POLL-INTERVAL", "1ms", "poll-interval: 1ms is too short"},
		{"INPUT_WAIT", "yes", `wait: "yes" is not one of`},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"INPUT_URL": "https://ci.example.com", "INPUT_JOB": "j", tc.key: tc.value}
			var out bytes.Buffer
			code := run(context.Background(), env{getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &out})
			if code != exitConfig || !strings.Contains(out.String(), tc.say) {
				t.Errorf("exit %d, output %q; want %d saying %q", code, out.String(), exitConfig, tc.say)
			}
		})
	}
}

func TestWaitModes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]waitMode{"false": waitNone, "start": waitStart, "true": waitFinish, "finish": waitFinish, "FINISH": waitFinish} {
		var w waitMode
		if err := w.EnvDecode(in); err != nil || w != want {
			t.Errorf("%q: %v %v", in, w, err)
		}
	}
}
