package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// reporter is the step's voice. Under GitHub Actions it speaks through
// go-githubactions (workflow commands, GITHUB_OUTPUT, the step summary);
// elsewhere (GitLab, Tekton, a terminal) it prints plain lines: log lines
// to stderr, outputs as name=value lines to stdout, and no ::add-mask::
// (which would print the secret itself where no runner hides it).
type reporter struct {
	gha    *githubactions.Action
	github bool // running under GitHub Actions
	out    io.Writer
	log    io.Writer
	getenv func(string) string
}

func newReporter(getenv func(string) string, stdout, stderr io.Writer) *reporter {
	r := &reporter{
		gha:    githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv)),
		github: getenv("GITHUB_ACTIONS") == "true",
		out:    stdout,
		log:    stderr,
		getenv: getenv,
	}
	if r.github {
		r.log = stdout // workflow commands are read from stdout
	}
	return r
}

// Mask hides s in the rest of the step log.
func (r *reporter) Mask(s string) {
	if !r.github || strings.TrimSpace(s) == "" {
		return
	}
	r.gha.AddMask(s)
}

func (r *reporter) Infof(format string, args ...any) {
	fmt.Fprintf(r.log, format+"\n", args...)
}

func (r *reporter) Noticef(format string, args ...any) {
	if r.github {
		r.gha.Noticef(format, args...)
		return
	}
	fmt.Fprintf(r.log, "notice: "+format+"\n", args...)
}

func (r *reporter) Warningf(format string, args ...any) {
	if r.github {
		r.gha.Warningf(format, args...)
		return
	}
	fmt.Fprintf(r.log, "warning: "+format+"\n", args...)
}

// Errorf reports an error as one annotation.
func (r *reporter) Errorf(title, format string, args ...any) {
	if r.github {
		r.gha.WithFieldsMap(map[string]string{"title": title}).Errorf(format, args...)
		return
	}
	fmt.Fprintf(r.log, "error: %s: "+format+"\n", append([]any{title}, args...)...)
}

// SetOutput sets a step output. Values come only from parsed data, but the
// library writes them between a fixed heredoc delimiter, so a line break
// would let a value write other outputs: refuse it rather than trust it.
func (r *reporter) SetOutput(name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("output %s: refusing a value with a line break", name)
	}
	if r.github && r.getenv("GITHUB_OUTPUT") != "" {
		r.gha.SetOutput(name, value)
		return nil
	}
	_, err := fmt.Fprintf(r.out, "%s=%s\n", name, value)
	return err
}

// errOutput is returned when outputs could not be written.
var errOutput = errors.New("cannot write outputs")
