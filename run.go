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
	httpClient *http.Client // nil: a default client

	flags    map[string]string            // command-line settings, in front of the environment (cli.go)
	readFile func(string) ([]byte, error) // for --token-file and the like; nil: os.ReadFile
}

// run is the action: read the settings, trigger the job, set the outputs.
func run(ctx context.Context, e env) int {
	rep := newReporter(e.getenv, e.stdout, e.stderr)
	cfg, err := loadConfigFrom(ctx, e.settingsLookuper(), rep.Mask)
	if err != nil {
		rep.Errorf("Invalid settings", "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
		return exitConfig
	}
	code, err := trigger(ctx, cfg, rep, e)
	if err != nil {
		title := "Jenkins trigger failed"
		if errors.Is(err, errConfig) {
			title = "Invalid settings"
			err = errors.Unwrap(err)
		}
		rep.Errorf(title, "%s", err)
	}
	return code
}

func trigger(ctx context.Context, cfg *Config, rep *reporter, e env) (int, error) {
	opts := []jenkins.Option{
		jenkins.WithUserAgent(version.UserAgent()),
		jenkins.WithSecretHandler(rep.Mask),
		jenkins.WithLogf(rep.Infof),
	}
	if cfg.User != "" {
		opts = append(opts, jenkins.WithBasicAuth(cfg.User, cfg.Token))
	}
	if e.httpClient != nil {
		opts = append(opts, jenkins.WithHTTPClient(e.httpClient))
	}
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
	if err != nil {
		return exitFailure, explain(err, cfg, job, client)
	}
	switch {
	case q.ID == 0:
		rep.Warningf("Jenkins answered %d without a queue item: the build may have been queued (very old Jenkins), or a queue decision handler refused it. See %s", q.StatusCode, client.JobURL(job))
	case q.Merged:
		rep.Infof("Jenkins merged this request into queue item %d, which was already waiting with the same parameters (HTTP %d)", q.ID, q.StatusCode)
	default:
		rep.Infof("Queued as %s (HTTP %d)", q.URL, q.StatusCode)
	}
	outputs := []struct{ name, value string }{
		{"status-code", strconv.Itoa(q.StatusCode)},
		{"queue-url", q.URL},
		{"queue-id", idString(q.ID)},
	}
	for _, o := range outputs {
		if err := rep.SetOutput(o.name, o.value); err != nil {
			return exitFailure, fmt.Errorf("%w: %v", errOutput, err)
		}
	}
	return exitOK, nil
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

// explain turns a client error into one message that says what failed,
// what Jenkins answered and what to do.
func explain(err error, cfg *Config, job jenkins.JobPath, c *jenkins.Client) error {
	var jerr *jenkins.Error
	who := "anonymous"
	if cfg.User != "" {
		who = "user " + strconv.Quote(cfg.User)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: cancelled", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: Jenkins did not answer in time; check that url is reachable from the runner", err)
	case errors.Is(err, jenkins.ErrUnauthorized):
		return fmt.Errorf("%w. Jenkins rejected the credentials of %s: check user and token (an API token from Jenkins > your user > Security > API Token, or the password)", err, who)
	case errors.Is(err, jenkins.ErrNoCrumb):
		return fmt.Errorf("%w. Jenkins' CSRF protection refused the request even with a fresh crumb: a proxy may be dropping the JSESSIONID cookie or changing the client address; use an API token instead of a password, which needs no crumb", err)
	case errors.As(err, &jerr) && jerr.StatusCode == http.StatusForbidden:
		if cfg.User == "" {
			return fmt.Errorf("%w. Jenkins requires authentication: set user and token", err)
		}
		if cfg.BuildToken != "" && strings.Contains(strings.ToLower(jerr.Message), "token") {
			return fmt.Errorf("%w. Jenkins refused the build token: check build-token against the job's \"Trigger builds remotely\" setting", err)
		}
		perm := jerr.RequiredPermission
		if perm == "" {
			perm = "the needed permission"
		}
		return fmt.Errorf("%w. %s lacks %s on %s: grant it in Jenkins (Job/Build to trigger), or use the job's build-token", err, who, perm, job)
	case errors.Is(err, jenkins.ErrNotFound):
		return fmt.Errorf("%w. There is no job %q at %s, or %s may not see it (Jenkins answers 404 for both). Check the job's full name (folders separated by /, a multibranch branch with / written as %%2F, e.g. app/feature%%2Flogin) and the Job/Read permission; check that url is the Jenkins root URL", err, job.String(), c.JobURL(job), who)
	case errors.Is(err, jenkins.ErrConflict):
		return fmt.Errorf("%w. The job (or a folder above it) is disabled: enable it in Jenkins", err)
	case errors.As(err, &jerr) && jerr.StatusCode == http.StatusBadRequest:
		return fmt.Errorf("%w. Jenkins refused the request as malformed: check parameters and the job's parameter definitions", err)
	case errors.As(err, &jerr) && jerr.StatusCode >= 500:
		return fmt.Errorf("%w. Jenkins failed to handle the request (an invalid choice value or a repeated parameter also gives 500); check the Jenkins system log", err)
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
		return fmt.Errorf("%w. The host name of url could not be resolved from the runner: check url, or run on a runner that can reach Jenkins", err)
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return fmt.Errorf("%w. Jenkins' TLS certificate is not trusted: give its CA certificate, or check url", err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("%w. Jenkins' TLS certificate does not match the host in url", err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("%w. Could not connect to Jenkins: check url and that Jenkins is reachable from the runner (firewall, VPN, private network)", err)
	}
	return err
}
