package jenkins

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TriggerOptions are the optional parts of a trigger.
type TriggerOptions struct {
	// Parameters for the build. When empty, the job is triggered without
	// parameters; a parameterized job then runs with its defaults.
	Parameters Parameters
	// BuildToken is the job's "Trigger builds remotely" authentication
	// token. It is sent in the request body, never in the URL, so that it
	// stays out of access logs.
	BuildToken string
	// Cause is an optional note Jenkins adds to the build's cause (only
	// used together with BuildToken, as Jenkins does).
	Cause string
}

// Queued is the answer to a successful trigger.
type Queued struct {
	// StatusCode is the HTTP status of the trigger request: 201 for a new
	// queue item, 200 or 303 when Jenkins merged the request into an item
	// that was already waiting, 302 when Jenkins answered without a queue
	// item (see ID).
	StatusCode int
	// ID is the queue item id, or 0 when Jenkins did not name a queue item
	// (a 302 to the job page: a very old Jenkins that queued the build, or
	// a queue decision handler that refused it).
	ID int64
	// URL is the queue item's URL on the client's Jenkins URL (not on the
	// host Jenkins named in Location, which may be an internal one), or ""
	// when ID is 0.
	URL string
	// Merged is true when Jenkins said that the request joined an existing
	// queue item (303 or 200). A 201 can be a merge too; Jenkins does not
	// say so.
	Merged bool
	// Endpoint is "build" or "buildWithParameters", whichever was used.
	Endpoint string
	// Requests counts the HTTP requests the trigger made, crumb included.
	Requests int
	// Recovered is true when Jenkins' answer to the trigger was lost (a
	// dropped connection, a timeout, a proxy's error) and the queue item
	// was found by reading the job instead; StatusCode is then 0.
	Recovered bool
}

// Trigger schedules a build of job and returns the queue item it got.
//
// It chooses the endpoint and the crumb so that the common cases take the
// fewest requests and nothing is ever scheduled twice: every repeated POST
// follows an answer that, in Jenkins, scheduled nothing (a 403 from the
// crumb filter, or a 400 from /build of a parameterized job), a failure to
// connect (nothing was sent), or a proxy's 429, 502 or 503 after a read of
// the job showed no queue item created since. When the answer to a POST
// that was sent is lost, the job is read instead (see recover.go), and the
// trigger either finds its queue item (Queued.Recovered) or fails saying
// the build may have been queued; it never POSTs again.
//
//   - With an API token (a secret shaped like one) no crumb is fetched:
//     Jenkins does not check crumbs for token-authenticated requests. If the
//     secret was a password after all, the crumb filter refuses the POST
//     with 403, and the client fetches a crumb and sends it again.
//   - With a password, or anonymously, the crumb (and its session cookie)
//     is fetched first, unless CSRF protection is off (404 from the issuer).
//   - Without parameters the client posts to /build; a parameterized job
//     answers 400 there, and the client posts to /buildWithParameters, where
//     the job's defaults apply.
func (c *Client) Trigger(ctx context.Context, job JobPath, opts TriggerOptions) (*Queued, error) {
	if len(job) == 0 {
		return nil, fmt.Errorf("%w: empty job path", ErrInvalidJobPath)
	}
	for _, p := range opts.Parameters {
		switch p.Name {
		case "token":
			if opts.BuildToken != "" {
				return nil, fmt.Errorf("%w: a parameter named \"token\" would collide with the build token, which Jenkins reads from the same field", ErrInvalidParameters)
			}
			c.logf("Note: Jenkins also reads a parameter named \"token\" as the job's remote build token")
		case "delay", "cause":
			c.logf("Note: Jenkins also reads a parameter named %q as the trigger's %s", p.Name, map[string]string{"delay": "quiet period", "cause": "cause note"}[p.Name])
		}
	}
	c.reportSecret(opts.BuildToken)
	t := &trigger{c: c, job: job, opts: opts}
	return t.run(ctx)
}

type trigger struct {
	c        *Client
	job      JobPath
	opts     TriggerOptions
	endpoint string
	requests int
}

func (t *trigger) run(ctx context.Context) (*Queued, error) {
	t.endpoint = "build"
	if len(t.opts.Parameters) > 0 {
		t.endpoint = "buildWithParameters"
	}
	proxyRetries := 0
	for {
		started := time.Now()
		resp, err := t.c.post(ctx, t.c.resolve(t.job.relPath()+t.endpoint), t.form(), &t.requests)
		if err != nil {
			var jerr *Error
			var cerr *crumbError
			if errors.As(err, &jerr) || errors.As(err, &cerr) || requestNotSent(err) {
				// Jenkins refused, or nothing was sent (do has already
				// repeated a POST that could not connect).
				return nil, t.fail(err)
			}
			return t.recoverLost(ctx, started, err)
		}
		switch {
		case resp.StatusCode == http.StatusBadRequest && t.endpoint == "build" && len(t.opts.Parameters) == 0:
			// A parameterized job refuses /build without a parameter form
			// ("Nothing is submitted"); nothing was scheduled. Its
			// /buildWithParameters applies the defaults.
			drain(resp)
			t.c.logf("Job %q is parameterized; triggering it with its default parameters", t.job.String())
			t.endpoint = "buildWithParameters"
			continue
		case transientStatus(resp.StatusCode):
			retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			jerr := t.c.newError(resp)
			q, err := t.checkAfterRefusal(ctx, started, jerr)
			if q != nil || err != nil {
				return q, err
			}
			proxyRetries++
			wait, ok := t.c.retryWait(ctx, proxyRetries, retryAfter)
			if !ok {
				return nil, t.fail(giveUp(jerr, proxyRetries))
			}
			t.c.logRetry(http.MethodPost, jerr.URL, fmt.Sprintf("%d %s; no build was queued", jerr.StatusCode, http.StatusText(jerr.StatusCode)), proxyRetries, wait)
			if err := t.c.sleep(ctx, wait); err != nil {
				return nil, t.fail(fmt.Errorf("%w (waiting to retry: %v)", jerr, err))
			}
			continue
		}
		return t.answer(resp, t.endpoint)
	}
}

// checkAfterRefusal handles a 429, 502, 503 or 504 to the trigger POST. Such
// an answer usually comes from a proxy or a Jenkins that is starting, and
// then nothing was queued; but a proxy may also have passed the request on
// and given up on the answer. So it first looks for a queue item created
// since the POST: if there is one, that is the answer. A 504 says outright
// that the request was passed on and the answer not awaited, so without a
// queue item it fails, saying the build may still be queued. Otherwise it
// returns nil, nil: the POST may be repeated.
func (t *trigger) checkAfterRefusal(ctx context.Context, started time.Time, jerr *Error) (*Queued, error) {
	jobURL := t.c.JobURL(t.job)
	q, err := t.findQueued(ctx, started)
	switch {
	case err != nil:
		return nil, t.fail(fmt.Errorf("%w; checking the job for a queued build failed (%v): the build may have been queued, check %s before running again", jerr, err, jobURL))
	case q != nil:
		t.c.logf("Jenkins' answer was %d, but queue item %d of %s was created since the trigger was sent: using it", jerr.StatusCode, q.ID, t.job)
		return t.recovered(q), nil
	case jerr.StatusCode == http.StatusGatewayTimeout:
		return nil, t.fail(fmt.Errorf("%w. A proxy gave up waiting for Jenkins, which may still queue the build: check %s before running again", jerr, jobURL))
	}
	return nil, nil
}

func (t *trigger) form() url.Values {
	form := url.Values{}
	for _, p := range t.opts.Parameters {
		form.Add(p.Name, p.Value)
	}
	if t.opts.BuildToken != "" {
		form.Set("token", t.opts.BuildToken)
		if t.opts.Cause != "" {
			form.Set("cause", t.opts.Cause)
		}
	}
	return form
}

// answer interprets the response to the trigger POST.
func (t *trigger) answer(resp *http.Response, endpoint string) (*Queued, error) {
	q := &Queued{StatusCode: resp.StatusCode, Endpoint: endpoint, Requests: t.requests}
	loc := resp.Header.Get("Location")
	id, locErr := ParseQueueLocation(loc)
	switch {
	case locErr == nil && (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK ||
		resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound):
		drain(resp)
		q.ID = id
		q.URL = t.c.QueueItemURL(id)
		q.Merged = resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK
		return q, nil
	case resp.StatusCode == http.StatusCreated:
		// 201 means Jenkins created a queue item, whatever a proxy did to
		// Location: the build is queued, and must not be triggered again.
		drain(resp)
		t.c.logf("Jenkins answered 201 Created without a usable queue item location (%v)", locErr)
		return q, nil
	case resp.StatusCode == http.StatusFound && t.isJobPage(loc):
		// Jenkins answers 302 to the job page when a queue decision
		// handler refused the build, and very old versions did so for
		// every buildWithParameters. Either way there is no queue item
		// to report, and nothing must be sent again.
		drain(resp)
		return q, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		jerr := t.c.newError(resp)
		// jerr says where to and what to do (see redirectHint).
		return nil, t.fail(fmt.Errorf("%w; that is not a queue item: the build was not queued", jerr))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		drain(resp)
		return nil, t.fail(fmt.Errorf("%s %s answered %d without a queue item location: a proxy or single sign-on page may be answering instead of Jenkins, or url is not the Jenkins root URL", http.MethodPost, redactURL(resp.Request.URL), resp.StatusCode))
	}
	return nil, t.fail(t.c.newError(resp))
}

// isJobPage reports whether loc names this job's page (on any host: Jenkins
// builds it from its configured root URL).
func (t *trigger) isJobPage(loc string) bool {
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return strings.HasSuffix(p, "/"+t.job.relPath())
}

func (t *trigger) fail(err error) error {
	return &TriggerError{Job: t.job, Err: err}
}

// TriggerError is returned when a trigger failed; Err is usually an *Error
// (an answer from Jenkins) or a *url.Error (Jenkins not reached).
type TriggerError struct {
	Job JobPath
	Err error
}

func (e *TriggerError) Error() string { return fmt.Sprintf("trigger %s: %v", e.Job, e.Err) }

// Unwrap returns the cause.
func (e *TriggerError) Unwrap() error { return e.Err }

// QueueItemURL returns the URL of queue item id on the client's Jenkins URL.
func (c *Client) QueueItemURL(id int64) string {
	return c.resolve("queue/item/" + strconv.FormatInt(id, 10) + "/").String()
}

// ParseQueueLocation returns the queue item id from the Location header of a
// trigger response: an absolute or relative URL whose path ends in
// /queue/item/<id>/ (the trailing slash is optional).
func ParseQueueLocation(loc string) (int64, error) {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return 0, errors.New("no Location header")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return 0, fmt.Errorf("Location is not a URL: %v", unwrapURLError(err))
	}
	p := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndex(p, "/queue/item/")
	if i < 0 && strings.HasPrefix(p, "queue/item/") {
		i = -1
		p = "/" + p
		i = 0
	}
	if i < 0 {
		return 0, fmt.Errorf("Location %q is not a queue item", cleanText(loc, 200))
	}
	rest := p[i+len("/queue/item/"):]
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || rest[0] == '+' || (len(rest) > 1 && rest[0] == '0') {
		return 0, fmt.Errorf("Location %q has no valid queue item id", cleanText(loc, 200))
	}
	return id, nil
}
