package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Config is every setting of the action. Each field's env key is looked up,
// in this order, as the action input INPUT_<KEY> (with "-" for "_", as the
// runner spells hyphenated inputs), as JENKINS_<KEY> for use outside GitHub,
// and as PLUGIN_<KEY> for Drone and Woodpecker. An empty value counts as
// unset: the runner sets every declared input, empty when the workflow
// leaves it out, and a bare docker:// step sees no action.yml defaults, so
// the defaults live here (a test checks that action.yml agrees).
type Config struct {
	URL        string `env:"URL, required"`
	Job        string `env:"JOB, required"`
	User       string `env:"USER"`
	Token      string `env:"TOKEN"`
	BuildToken string `env:"BUILD_TOKEN"`
	Parameters string `env:"PARAMETERS"`

	// Following the build (follow.go).
	Wait          waitMode `env:"WAIT, default=false"`
	Timeout       duration `env:"TIMEOUT, default=30m"`
	PollInterval  duration `env:"POLL_INTERVAL, default=10s"`
	Log           boolean  `env:"LOG, default=true"`
	AllowUnstable boolean  `env:"ALLOW_UNSTABLE, default=false"`
	CancelOnAbort boolean  `env:"CANCEL_ON_ABORT, default=true"`
	// Results of the finished build (see results.go).
	TestReport   boolean `env:"TEST_REPORT, default=true"`
	Artifacts    string  `env:"ARTIFACTS"`
	ArtifactsDir string  `env:"ARTIFACTS_DIR, default=jenkins-artifacts"`

	// Reaching Jenkins (netconfig.go).
	CACert   string  `env:"CA_CERT"`
	Insecure boolean `env:"INSECURE, default=false"`
}

// setting documents one Config field for errors, --help and the README.
type setting struct {
	Key         string // env key of the Config field
	Input       string // action input name
	Description string
	Default     string
	Required    bool
	Secret      bool
}

// Input returns the action input's name, "build-token" for BUILD_TOKEN.
func inputName(key string) string { return strings.ToLower(strings.ReplaceAll(key, "_", "-")) }

var settings = []setting{
	{Key: "URL", Description: "Jenkins base URL, including any context path (https://ci.example.com/jenkins)", Required: true},
	{Key: "JOB", Description: "the job's full name, folders separated by / (team/deploy), or the job's URL", Required: true},
	{Key: "USER", Description: "Jenkins user name"},
	{Key: "TOKEN", Description: "API token (recommended) or password of user", Secret: true},
	{Key: "BUILD_TOKEN", Description: "the job's \"Trigger builds remotely\" authentication token", Secret: true},
	{Key: "PARAMETERS", Description: "build parameters: one NAME=value a line, or a JSON object"},
	{Key: "WAIT", Description: "false: return once queued; start: once the build has a number; true (or finish): once it has finished", Default: "false"},
	{Key: "TIMEOUT", Description: "one deadline for the whole step, queue time included (45s, 30m, 2h)", Default: "30m"},
	{Key: "POLL_INTERVAL", Description: "the longest pause between two status requests", Default: "10s"},
	{Key: "LOG", Description: "stream the build's console into the step log while waiting for the finish", Default: "true"},
	{Key: "ALLOW_UNSTABLE", Description: "an UNSTABLE result passes the step", Default: "false"},
	{Key: "CANCEL_ON_ABORT", Description: "when the workflow is cancelled or the step times out, cancel the queue item or stop the build", Default: "true"},
	{Key: "TEST_REPORT", Description: "after the finish, read the build's JUnit results and report them (true or false)", Default: "true"},
	{Key: "ARTIFACTS", Description: "glob patterns, one a line (dist/*.tar.gz, **/report.html), of build artifacts to download"},
	{Key: "ARTIFACTS_DIR", Description: "where downloaded artifacts go, relative to the workspace", Default: "jenkins-artifacts"},
	{Key: "CA_CERT", Description: "CA certificate(s) to trust for Jenkins' TLS certificate, besides the system's: PEM text, or the path of a PEM file in the workspace"},
	{Key: "INSECURE", Description: "true: do not verify Jenkins' TLS certificate (unsafe; prints a warning every run)", Default: "false"},
}

func init() {
	for i := range settings {
		settings[i].Input = inputName(settings[i].Key)
	}
}

// envNames returns the variable names a key is looked up under, in order.
func envNames(key string) []string {
	return []string{
		"INPUT_" + strings.ReplaceAll(key, "_", "-"),
		"INPUT_" + key,
		"JENKINS_" + key,
		"PLUGIN_" + key,
	}
}

// lookuper finds settings in the environment as Config describes. Values are
// trimmed, as the runner's own getInput does (a token pasted with a trailing
// newline must still work), except parameters, whose values are kept as
// written: only blank lines around them are dropped.
func lookuper(getenv func(string) string) envconfig.Lookuper {
	return envconfig.LookuperFunc(func(key string) (string, bool) {
		for _, name := range envNames(key) {
			v := getenv(name)
			if strings.TrimSpace(v) == "" {
				continue
			}
			if key == "PARAMETERS" {
				return strings.Trim(v, "\r\n"), true
			}
			return strings.TrimSpace(v), true
		}
		return "", false
	})
}

// minPollInterval bounds poll-interval from below: polling starts fast
// anyway, and a tiny maximum would turn every waiting step into a load test
// of Jenkins.
const minPollInterval = time.Second

// errConfig marks errors in the settings, which exit with code 2.
var errConfig = errors.New("invalid settings")

// loadConfig decodes the settings. mask is called with every secret before
// any validation can print anything.
func loadConfig(ctx context.Context, getenv func(string) string, mask func(string)) (*Config, error) {
	return loadConfigFrom(ctx, lookuper(getenv), mask)
}

// inputNamesInError rewrites envconfig's "FieldName: problem" into
// "input-name: problem": a user knows the input, not the Go field.
func inputNamesInError(err error) string {
	msg := err.Error()
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if key == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(msg, f.Name+": "); ok {
			return inputName(key) + ": " + rest
		}
	}
	return msg
}

// loadConfigFrom is loadConfig reading the settings from l, which the
// command line puts its flags in front of (cli.go withFlags).
func loadConfigFrom(ctx context.Context, l envconfig.Lookuper, mask func(string)) (*Config, error) {
	for _, s := range settings {
		if s.Secret {
			if v, ok := l.Lookup(s.Key); ok {
				mask(v)
			}
		}
	}
	if err := checkInputs(l); err != nil {
		return nil, err
	}
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l}); err != nil {
		if errors.Is(err, envconfig.ErrMissingRequired) {
			for _, s := range settings {
				if _, ok := l.Lookup(s.Key); s.Required && !ok {
					return nil, fmt.Errorf("%w: %s is required: set the %q input (or %s outside GitHub Actions)", errConfig, s.Input, s.Input, "JENKINS_"+s.Key)
				}
			}
		}
		return nil, fmt.Errorf("%w: %s", errConfig, inputNamesInError(err))
	}
	if c.User != "" && c.Token == "" {
		return nil, fmt.Errorf("%w: user %q is set but token is empty: give the user's API token (or password) in the token input", errConfig, c.User)
	}
	if c.User == "" && c.Token != "" {
		return nil, fmt.Errorf("%w: token is set but user is empty: Jenkins needs the user name that goes with the token", errConfig)
	}
	if time.Duration(c.PollInterval) < minPollInterval {
		return nil, fmt.Errorf("%w: poll-interval: %s is too short: at least %s, so that a waiting step stays cheap for Jenkins", errConfig, time.Duration(c.PollInterval), minPollInterval)
	}
	if err := validateResultsConfig(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	return &c, nil
}
