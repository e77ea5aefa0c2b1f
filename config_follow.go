package main

import (
	"fmt"
	"strings"
	"time"
)

// waitMode is the wait setting: how far the step follows the build.
type waitMode string

const (
	waitNone   waitMode = "false"
	waitStart  waitMode = "start"
	waitFinish waitMode = "true"
)

// EnvDecode accepts false, start, true and finish (any case).
func (w *waitMode) EnvDecode(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "":
		*w = waitNone
	case "start", "started":
		*w = waitStart
	case "true", "finish", "finished":
		*w = waitFinish
	default:
		return fmt.Errorf("%q is not one of false, start, true (or finish)", v)
	}
	return nil
}

// duration is a positive time.Duration written with a unit.
type duration time.Duration

// EnvDecode parses 45s, 30m, 1h30m.
func (d *duration) EnvDecode(v string) error {
	p, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || p <= 0 {
		return fmt.Errorf("%q is not a positive duration: write it with a unit, such as 45s, 30m or 2h", v)
	}
	*d = duration(p)
	return nil
}

// boolean is a true/false setting. YAML and shells spell them in many
// ways; anything else is an error rather than a silent false.
type boolean bool

// EnvDecode accepts true/false, yes/no, on/off, 1/0 (any case).
func (b *boolean) EnvDecode(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		*b = true
	case "false", "no", "off", "0":
		*b = false
	default:
		return fmt.Errorf("%q is not true or false", v)
	}
	return nil
}
