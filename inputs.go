package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/sethvargo/go-envconfig"
)

// defaultMaxInputSize bounds every setting that has no bound of its own. A
// URL, a job name or a token is far shorter; a longer value is a mistake
// (a file pasted into the wrong input), and refusing it early keeps it out
// of requests and logs.
const defaultMaxInputSize = 8 << 10

// maxInputSize is the bound of the setting with this env key.
func maxInputSize(key string) int {
	switch key {
	case "PARAMETERS":
		return jenkins.MaxParametersSize
	case "CA_CERT":
		return maxCACertSize
	}
	return defaultMaxInputSize
}

// checkInputs rejects settings that are too large, contain NUL or are not
// valid UTF-8, naming the input but never showing its value (it may be a
// secret).
func checkInputs(l envconfig.Lookuper) error {
	for _, s := range settings {
		v, ok := l.Lookup(s.Key)
		if !ok {
			continue
		}
		switch {
		case len(v) > maxInputSize(s.Key):
			return fmt.Errorf("%w: %s is %d bytes long, more than the %d allowed", errConfig, s.Input, len(v), maxInputSize(s.Key))
		case strings.ContainsRune(v, 0):
			return fmt.Errorf("%w: %s contains a NUL character", errConfig, s.Input)
		case !utf8.ValidString(v):
			return fmt.Errorf("%w: %s is not valid UTF-8 text", errConfig, s.Input)
		}
	}
	return nil
}
