package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

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
	masked map[string]bool
	// warnedNoOutput is set once the missing GITHUB_OUTPUT was reported.
	warnedNoOutput bool
	secret         *redactor
}

func newReporter(getenv func(string) string, stdout, stderr io.Writer) *reporter {
	red := &redactor{}
	stdout, stderr = red.writer(stdout), red.writer(stderr)
	r := &reporter{
		secret: red,
		gha:    githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv)),
		github: getenv("GITHUB_ACTIONS") == "true",
		out:    stdout,
		log:    stderr,
		getenv: getenv,
		masked: map[string]bool{},
	}
	if r.github {
		r.log = stdout // workflow commands are read from stdout
	}
	return r
}

// Mask hides s in the rest of the step log.
func (r *reporter) Mask(s string) {
	r.secret.add(strings.TrimSpace(s))
	if !r.github || strings.TrimSpace(s) == "" || r.masked[s] {
		return
	}
	r.masked[s] = true
	r.gha.AddMask(s)
}

// Infof prints a log line. Log lines quote Jenkins' text (queue reasons,
// artifact names) and the inputs, and under GitHub a line that the runner
// reads as a workflow command would be run: see defuseCommands.
func (r *reporter) Infof(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.github {
		msg = defuseCommands(msg)
	}
	fmt.Fprintln(r.log, msg)
}

// defuseCommands keeps text from being read as a workflow command by the
// runner, which takes a line as a command when, after leading white space,
// it starts with "::", and (the legacy form) when it contains "##[" anywhere.
// Such lines get a visible "» " in front; "##[" gets a zero-width space
// between its two "#", which the eye does not see and the runner does.
func defuseCommands(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		l = strings.ReplaceAll(l, "##[", "#\u200b#[")
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
			l = "» " + strings.TrimLeftFunc(l, unicode.IsSpace)
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

func (r *reporter) Noticef(format string, args ...any) {
	if r.github {
		r.gha.Noticef(format, args...)
		return
	}
	r.plain("notice: ", fmt.Sprintf(format, args...))
}

func (r *reporter) Warningf(format string, args ...any) {
	if r.github {
		r.gha.Warningf(format, args...)
		return
	}
	r.plain("warning: ", fmt.Sprintf(format, args...))
}

// Errorf reports an error as one annotation.
func (r *reporter) Errorf(title, format string, args ...any) {
	if r.github {
		r.gha.WithFieldsMap(map[string]string{"title": title}).Errorf(format, args...)
		return
	}
	r.plain("error: "+title+": ", fmt.Sprintf(format, args...))
}

// SetOutput sets a step output. Values come only from parsed data, but the
// library writes them between a fixed heredoc delimiter, so a line break
// would let a value write other outputs: refuse it rather than trust it.
func (r *reporter) SetOutput(name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("output %s: refusing a value with a line break", name)
	}
	if r.github && r.getenv("GITHUB_OUTPUT") != "" {
		return r.setGitHubOutput(name, value)
	}
	if r.github && !r.warnedNoOutput {
		r.warnedNoOutput = true
		r.Warningf("GITHUB_OUTPUT is not set, so the step's outputs cannot be set; they are printed instead")
	}
	_, err := fmt.Fprintf(r.out, "%s=%s\n", name, value)
	return err
}

// setGitHubOutput writes through go-githubactions, which panics when the
// file cannot be written: check the file first, and turn a panic into an
// error so the step can still say that its build was queued.
func (r *reporter) setGitHubOutput(name, value string) (err error) {
	path := r.getenv("GITHUB_OUTPUT")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("GITHUB_OUTPUT: %w", err)
	}
	_ = f.Close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("GITHUB_OUTPUT: %v", p)
		}
	}()
	r.gha.SetOutput(name, value)
	return nil
}

// errOutput is returned when outputs could not be written.
var errOutput = errors.New("cannot write outputs")

// plain prints an annotation outside GitHub: prefix, then the message with
// its continuation lines indented so they read as one entry.
func (r *reporter) plain(prefix, msg string) {
	msg = strings.ReplaceAll(strings.TrimRight(msg, "\r\n"), "\r\n", "\n")
	fmt.Fprintln(r.log, prefix+strings.ReplaceAll(msg, "\n", "\n    "))
}
