package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/version"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // Jenkins refused, could not be reached, or the build failed
	exitConfig  = 2 // the settings are invalid
)

// env is what a run reads from its surroundings, injected so tests run in
// parallel without touching the process environment.
type env struct {
	getenv     func(string) string
	stdout     io.Writer
	stderr     io.Writer
	httpClient *http.Client   // nil: a default client
	clock      jenkins.Clock  // nil: the system clock
	jitter     func() float64 // nil: random

	flags    map[string]string            // command-line settings, in front of the environment (cli.go)
	readFile func(string) ([]byte, error) // for --token-file and the like; nil: os.ReadFile
	// transport is the base that ca-cert and insecure are applied to
	// (nil: Go's default transport, with the proxy from the environment).
	transport *http.Transport
	// clientOptions are added last when the client is built (tests: a
	// backoff that waits for nothing).
	clientOptions []jenkins.Option
}

// run is the action: read the settings, trigger the job, set the outputs.
func run(ctx context.Context, e env) int {
	rep := newReporter(e.getenv, e.stdout, e.stderr)
	cfg, err := loadConfigFrom(ctx, e.settingsLookuper(), rep.Mask)
	if err == nil {
		// One deadline for the whole step, queue time included.
		sctx, cancel := withStepTimeout(ctx, time.Duration(cfg.Timeout), e.clockOrSystem())
		defer cancel()
		var code int
		code, err = trigger(sctx, cfg, rep, e)
		if err == nil {
			return code
		}
		if !errors.Is(err, errConfig) && errors.Is(context.Cause(sctx), errStepTimeout) {
			rep.Errorf("Timed out", "The timeout (%s) expired while triggering the build: %v", time.Duration(cfg.Timeout), err)
			return exitTimeout
		}
	}
	if errors.Is(err, errConfig) {
		rep.Errorf("Invalid settings", "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
		return exitConfig
	}
	rep.Errorf("Jenkins trigger failed", "%s", err)
	return exitFailure
}

// trigger returns the exit code of a run that did not fail, and an error
// (errConfig for bad settings) for one that did.
func trigger(ctx context.Context, cfg *Config, rep *reporter, e env) (int, error) {
	opts := []jenkins.Option{
		jenkins.WithUserAgent(version.UserAgent()),
		jenkins.WithSecretHandler(rep.Mask),
		jenkins.WithLogf(rep.Infof),
	}
	if cfg.User != "" {
		opts = append(opts, jenkins.WithBasicAuth(cfg.User, cfg.Token))
	}
	netOpts, err := networkOptions(cfg, e, rep)
	if err != nil {
		return exitConfig, fmt.Errorf("%w: %w", errConfig, err)
	}
	opts = append(opts, netOpts...)
	client, err := jenkins.New(cfg.URL, opts...)
	if err != nil {
		return exitConfig, fmt.Errorf("%w: url: %w", errConfig, err)
	}
	job, err := parseJob(cfg.URL, cfg.Job)
	if err != nil {
		return exitConfig, fmt.Errorf("%w: job: %w", errConfig, err)
	}
	params, err := jenkins.ParseParameters(cfg.Parameters)
	if err != nil {
		return exitConfig, fmt.Errorf("%w: parameters: %w", errConfig, err)
	}

	rep.Infof("Triggering %s on %s", job, client.BaseURL())
	q, err := client.Trigger(ctx, job, jenkins.TriggerOptions{Parameters: params, BuildToken: cfg.BuildToken})
	if errors.Is(err, jenkins.ErrInvalidParameters) {
		return exitConfig, fmt.Errorf("%w: parameters: %w", errConfig, err)
	}
	if err != nil {
		return exitFailure, explain(err, cfg, job, client)
	}
	switch {
	case q.ID == 0 && q.StatusCode == http.StatusCreated:
		rep.Warningf("Jenkins queued the build (HTTP 201) but its answer named no queue item (a proxy may have rewritten Location), so it cannot be followed. See %s", client.JobURL(job))
	case q.ID == 0:
		rep.Warningf("Jenkins answered %d with its job page instead of a queue item: a queue decision handler refused the build, or (Jenkins before 1.5xx) it was queued without telling where. See %s", q.StatusCode, client.JobURL(job))
	case q.Recovered:
		rep.Warningf("Jenkins' answer to the trigger was lost, and the build was found in Jenkins instead: queue item %s", q.URL)
	case q.Merged:
		rep.Infof("Jenkins merged this request into queue item %d, which was already waiting with the same parameters (HTTP %d)", q.ID, q.StatusCode)
	default:
		rep.Infof("Queued as %s (HTTP %d)", q.URL, q.StatusCode)
	}
	outputs := []struct{ name, value string }{
		{"status-code", idString(int64(q.StatusCode))}, // "" when the answer was lost
		{"queue-url", q.URL},
		{"queue-id", idString(q.ID)},
	}
	for _, o := range outputs {
		if err := rep.SetOutput(o.name, o.value); err != nil {
			return exitFailure, fmt.Errorf("the build was queued (%s), but %w: %v", orJob(q.URL, client.JobURL(job)), errOutput, err)
		}
	}
	if cfg.Wait != waitNone {
		return followBuild(ctx, cfg, rep, e, client, job, q)
	}
	return exitOK, nil
}

func orJob(queueURL, jobURL string) string {
	if queueURL != "" {
		return queueURL
	}
	return jobURL
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// parseJob accepts a job's full name or its URL under url.
func parseJob(url, job string) (jenkins.JobPath, error) {
	if strings.Contains(job, "://") {
		return jenkins.ParseJobURL(url, job)
	}
	return jenkins.ParseJobPath(job)
}

// withHint appends what to do to an error's message.
func withHint(err error, hint string) error {
	return &hinted{err: err, hint: hint}
}

type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string {
	return strings.TrimRight(h.err.Error(), ". ") + ". " + h.hint
}

func (h *hinted) Unwrap() error { return h.err }

// explain turns a client error into one message that says what failed,
// what Jenkins answered and what to do.
func explain(err error, cfg *Config, job jenkins.JobPath, c *jenkins.Client) error {
	var jerr *jenkins.Error
	isJenkins := errors.As(err, &jerr)
	who := "anonymous"
	if cfg.User != "" {
		who = "user " + strconv.Quote(cfg.User)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return withHint(err, "The step was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return withHint(err, "Jenkins did not answer in time; check that url is reachable from the runner")
	case errors.Is(err, jenkins.ErrUnauthorized):
		return withHint(err, fmt.Sprintf("Jenkins rejected the credentials of %s: check user and token (an API token from Jenkins > your user > Security > API Token, or the password)", who))
	case errors.Is(err, jenkins.ErrNoCrumbIssuer):
		return withHint(err, "Set url to the Jenkins root URL, as shown in Manage Jenkins > System > Jenkins URL")
	case errors.Is(err, jenkins.ErrNoCrumb):
		return withHint(err, "Jenkins' CSRF protection refused the request even with a fresh crumb: a proxy may be dropping the JSESSIONID cookie or changing the client address; use an API token instead of a password, which needs no crumb")
	case isJenkins && jerr.StatusCode == http.StatusForbidden:
		if cfg.BuildToken != "" && strings.Contains(strings.ToLower(jerr.Message), "token") {
			return withHint(err, "Jenkins refused the build token: check build-token against the job's \"Trigger builds remotely\" setting")
		}
		if cfg.User == "" {
			return withHint(err, "Jenkins requires authentication: set user and token")
		}
		switch jerr.RequiredPermission {
		case "hudson.model.Hudson.Read":
			return withHint(err, fmt.Sprintf("%s lacks Overall/Read on Jenkins: grant it", who))
		case "":
			return withHint(err, fmt.Sprintf("%s lacks a permission on %s: grant Job/Build to trigger, or use the job's build-token", who, job))
		}
		return withHint(err, fmt.Sprintf("%s lacks %s on %s: grant it in Jenkins (Job/Build to trigger), or use the job's build-token", who, jerr.RequiredPermission, job))
	case errors.Is(err, jenkins.ErrNotFound):
		hint := fmt.Sprintf("There is no job %q at %s, or %s may not see it (Jenkins answers 404 for both). Check the job's full name (folders separated by /, a multibranch branch with / written as %%2F, e.g. app/feature%%2Flogin), the Job/Read permission, and that url is the Jenkins root URL", job.String(), c.JobURL(job), who)
		if len(job) > 1 && job[0] == "job" {
			hint += fmt.Sprintf(". %q looks like a URL path: give the full name without the /job/ parts (team/deploy)", job.String())
		}
		return withHint(err, hint)
	case errors.Is(err, jenkins.ErrConflict):
		return withHint(err, "The job (or a folder above it) is disabled: enable it in Jenkins")
	case isJenkins && jerr.StatusCode >= 300 && jerr.StatusCode < 400 && strings.Contains(err.Error(), "Jenkins redirects"):
		return err // the client has said where to and what to do
	case isJenkins && jerr.StatusCode >= 300 && jerr.StatusCode < 400:
		loc := jerr.Location
		if strings.HasPrefix(cfg.URL, "http://") && strings.HasPrefix(loc, "https://") {
			return withHint(err, fmt.Sprintf("Jenkins redirects http:// to https:// (%s): use https:// in url", loc))
		}
		return withHint(err, fmt.Sprintf("Jenkins redirected the request to %s: set url to the Jenkins root URL that answers directly", loc))
	case isJenkins && jerr.StatusCode == http.StatusBadRequest && strings.Contains(jerr.Message, "HTTPS"):
		return withHint(err, "The server speaks HTTPS: use https:// in url")
	case isJenkins && jerr.StatusCode == http.StatusBadRequest:
		return withHint(err, "Jenkins refused the request as malformed: check parameters against the job's parameter definitions")
	case isJenkins && jerr.StatusCode >= 500:
		return withHint(err, "Jenkins failed to handle the request (an invalid choice value or a repeated parameter also gives 500); check the Jenkins system log")
	}
	return explainNetwork(err)
}

func explainNetwork(err error) error {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *x509.CertificateInvalidError
	switch {
	case errors.As(err, &dnsErr):
		return withHint(err, "The host name of url could not be resolved from the runner: check url, or run on a runner that can reach Jenkins")
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return withHint(err, "Jenkins' TLS certificate is not trusted by the runner: give the certificate of the CA that signed it in ca-cert, or check url")
	case errors.As(err, &hostErr):
		return withHint(err, "Jenkins' TLS certificate does not match the host in url: use the host name the certificate was issued for")
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return withHint(err, "Could not connect to Jenkins: check url and that Jenkins is reachable from the runner (firewall, VPN, private network)")
	}
	return err
}
