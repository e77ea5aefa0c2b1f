// Package version reports the build's version, stamped at build time with
//
//	-ldflags "-X github.com/jenkins-trigger/jenkins-trigger/internal/version.Version=v1.2.3
//	          -X github.com/jenkins-trigger/jenkins-trigger/internal/version.Commit=abc123
//	          -X github.com/jenkins-trigger/jenkins-trigger/internal/version.Date=2026-12-03T00:00:00Z"
//
// and falling back to what the Go toolchain recorded (go install pkg@v1.2.3).
package version

import (
	"runtime/debug"
)

// Set at build time with -ldflags -X.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Name is the product name.
const Name = "jenkins-trigger"

func init() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if Commit == "" {
				Commit = s.Value
			}
		case "vcs.time":
			if Date == "" {
				Date = s.Value
			}
		}
	}
	if Version == "" {
		Version = "dev"
	}
}

// UserAgent is the User-Agent sent to Jenkins.
func UserAgent() string {
	return Name + "/" + Version + " (+https://github.com/jenkins-trigger/jenkins-trigger)"
}
