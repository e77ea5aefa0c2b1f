package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/version"
	"github.com/sethvargo/go-envconfig"
)

// cli is the command line: no arguments is the action (GitHub, a plain
// container, a CI plugin); flags mirror the settings for local use; "demo"
// runs against an embedded fake Jenkins, and "demo --serve ADDR" keeps that
// fake running for other tools (CI dogfooding, trying curl). It returns the
// exit code.
func cli(ctx context.Context, args []string, e env) int {
	cmd, explicit := "run", false
	if len(args) > 0 && (args[0] == "run" || args[0] == "demo") {
		cmd, args, explicit = args[0], args[1:], true
	}
	fs := flag.NewFlagSet(version.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, below, with a hint
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	showVersion := fs.Bool("version", false, "")
	var serve string
	flags := map[string]string{}
	if cmd == "demo" {
		fs.StringVar(&serve, "serve", "", "")
	} else {
		addSettingFlags(fs, flags, e.readFile)
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(e.stdout)
			return exitOK
		}
		return usageError(e.stderr, redactSecretFlags(err.Error(), args))
	}
	switch {
	case *help:
		usage(e.stdout)
		return exitOK
	case *showVersion:
		fmt.Fprintln(e.stdout, versionString())
		return exitOK
	case fs.NArg() > 0:
		if !explicit && args[0] == fs.Arg(0) {
			return usageError(e.stderr, fmt.Sprintf("unknown command %q (commands: run, demo)", fs.Arg(0)))
		}
		return usageError(e.stderr, fmt.Sprintf("unexpected argument %q: every setting is a flag with a value (--job NAME)", fs.Arg(0)))
	}
	switch cmd {
	case "demo":
		if serve != "" {
			return serveFake(ctx, serve, e)
		}
		return demo(ctx, e)
	default:
		e.flags = flags
		return run(ctx, e)
	}
}

// addSettingFlags adds a flag for every row of the settings table, so a new
// setting gets its flag, and its line in --help, with no code here. Secrets
// also get --<name>-file: a value in a flag is visible in the shell history
// and, while it runs, to every user of the machine through ps.
func addSettingFlags(fs *flag.FlagSet, flags map[string]string, readFile func(string) ([]byte, error)) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	for _, s := range settings {
		set := func(v string) error {
			if _, dup := flags[s.Key]; dup {
				return fmt.Errorf("--%s given twice (or with --%s-file)", s.Input, s.Input)
			}
			flags[s.Key] = v
			return nil
		}
		if isBoolSetting(s) {
			fs.Var(boolFlag(set), s.Input, s.Description)
		} else {
			fs.Func(s.Input, s.Description, set)
		}
		if !s.Secret {
			continue
		}
		fs.Func(s.Input+"-file", "", func(path string) error {
			if _, dup := flags[s.Key]; dup {
				return fmt.Errorf("--%s-file given twice (or with --%s)", s.Input, s.Input)
			}
			b, err := readFile(path)
			if err != nil {
				return fmt.Errorf("reading %s: %w", s.Input, err)
			}
			if strings.TrimSpace(string(b)) == "" {
				return fmt.Errorf("--%s-file %s is empty", s.Input, path)
			}
			flags[s.Key] = string(b)
			return nil
		})
	}
}

// isBoolSetting reports the true/false settings, whose flags may stand
// alone (--insecure means --insecure=true). wait is not one of them: it also
// takes "start", which a bare flag could not be followed by.
func isBoolSetting(s setting) bool {
	return s.Key != "WAIT" && (s.Default == "true" || s.Default == "false")
}

// boolFlag is a flag.Value for a true/false setting: a bare --name sets
// "true", --name=false sets "false"; the value is checked with the others.
type boolFlag func(string) error

func (f boolFlag) String() string     { return "" }
func (f boolFlag) Set(v string) error { return f(v) }
func (f boolFlag) IsBoolFlag() bool   { return true }

// redactSecretFlags hides the values of secret flags in a parse error: the
// flag package quotes the value it could not take.
func redactSecretFlags(msg string, args []string) string {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		for _, s := range settings {
			if !s.Secret || name != s.Input {
				continue
			}
			if !hasValue && i+1 < len(args) {
				value = args[i+1]
			}
			if value != "" {
				msg = strings.ReplaceAll(msg, value, "***")
			}
		}
	}
	return msg
}

// withFlags puts the command-line flags in front of the environment, so that
// the precedence is flag > input > environment > default: next already looks
// up INPUT_* before JENKINS_* and PLUGIN_*, and envconfig applies a default
// only when no lookup found a value. An empty flag counts as unset, like an
// empty variable.
func withFlags(flags map[string]string, next envconfig.Lookuper) envconfig.Lookuper {
	return envconfig.LookuperFunc(func(key string) (string, bool) {
		if v := strings.TrimSpace(flags[key]); v != "" {
			return v, true
		}
		return next.Lookup(key)
	})
}

// settingsLookuper is where run reads its settings from.
func (e env) settingsLookuper() envconfig.Lookuper {
	return withFlags(e.flags, lookuper(e.getenv))
}

func usageError(w io.Writer, msg string) int {
	fmt.Fprintf(w, "%s: %s\nRun '%s --help' for the settings and their flags.\n", version.Name, msg, version.Name)
	return exitConfig
}

func versionString() string {
	return fmt.Sprintf("%s %s (commit %s, built %s, %s %s/%s)", version.Name, version.Version,
		orUnknown(version.Commit), orUnknown(version.Date), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// usage prints --help. It is generated from the settings and outputs tables,
// which a test keeps in step with action.yml and the README.
func usage(w io.Writer) {
	fmt.Fprintf(w, `%[1]s triggers a Jenkins job over the REST API, reports the queue item, and (with --wait) follows the build to its result.

Usage:
  %[1]s [flags]               trigger the job (settings from flags, inputs or environment)
  %[1]s demo                  trigger a job on an embedded fake Jenkins and show what it got
  %[1]s demo --serve ADDR     run that fake Jenkins on ADDR (e.g. 127.0.0.1:8080) until interrupted
  %[1]s --version             print the version, commit and build date
  %[1]s --help                print this help

Settings. Each is looked up in this order, and an empty value counts as unset:
  1. the flag (--url https://ci.example.com)
  2. the GitHub Actions input (INPUT_URL, set by the runner from "with:")
  3. the environment variable JENKINS_<NAME> (JENKINS_URL), for other CI
     systems and docker run; Drone and Woodpecker's PLUGIN_<NAME> also works
  4. the default

`, version.Name)
	for _, s := range settings {
		def := s.Default
		switch {
		case s.Required:
			def = "required"
		case def == "":
			def = "none"
		default:
			def = "default " + def
		}
		fmt.Fprintf(w, "  --%s VALUE\n      input %s, env JENKINS_%s; %s\n      %s\n", s.Input, s.Input, s.Key, def, s.Description)
		if s.Secret {
			fmt.Fprintf(w, "      Secret: prefer the environment variable or --%s-file, since a\n      flag's value is kept in shell history and shown by ps.\n", s.Input)
			fmt.Fprintf(w, "  --%s-file PATH\n      read %s from a file (trailing white space is dropped)\n", s.Input, s.Input)
		}
	}
	fmt.Fprintln(w, "\nOutputs (GitHub step outputs; elsewhere name=value lines on stdout):")
	for _, o := range outputs {
		fmt.Fprintf(w, "  %s\n      %s\n", o.Name, o.Description)
	}
	fmt.Fprintln(w, `
Exit codes: 0 success, 1 Jenkins refused, could not be reached, or the build did not pass,
2 invalid settings or usage, 3 the timeout expired.`)
}

// output documents one step output for --help.
type output struct {
	Name        string
	Description string
}

// outputs is every output the action sets; a test checks it against
// action.yml and the README.
var outputs = []output{
	{Name: "status-code", Description: "HTTP status of the trigger request (201 new queue item; 200 or 303 merged)"},
	{Name: "queue-url", Description: "absolute URL of the queue item"},
	{Name: "queue-id", Description: "the queue item id"},
	{Name: "build-number", Description: "the build's number (with wait: start or true)"},
	{Name: "build-url", Description: "the build's URL, on the configured url"},
	{Name: "result", Description: "SUCCESS, UNSTABLE, FAILURE, ABORTED or NOT_BUILT (with wait: true)"},
	{Name: "duration", Description: "the build's duration in seconds (with wait: true)"},
	{Name: "tests-total", Description: "tests in the build's JUnit report; empty without a report (with wait: true)"},
	{Name: "tests-failed", Description: "failed tests; empty without a report"},
	{Name: "tests-skipped", Description: "skipped tests; empty without a report"},
	{Name: "artifacts", Description: "JSON array of the downloaded artifacts' paths, relative to the workspace"},
	{Name: "description", Description: "the build's description, if any"},
}
