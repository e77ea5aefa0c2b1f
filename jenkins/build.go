package jenkins

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Build results as Jenkins names them.
const (
	ResultSuccess  = "SUCCESS"
	ResultUnstable = "UNSTABLE"
	ResultFailure  = "FAILURE"
	ResultAborted  = "ABORTED"
	ResultNotBuilt = "NOT_BUILT"
)

// Build is one read of a build.
type Build struct {
	Number int
	// Building is true while the build runs. Check it before Result:
	// Pipeline sets the result before the build has finished.
	Building bool
	// Result is SUCCESS, UNSTABLE, FAILURE, ABORTED or NOT_BUILT; "" while
	// running.
	Result string
	// Duration is 0 until the build has finished.
	Duration time.Duration
	// EstimatedDuration is Jenkins' guess from earlier builds; negative when
	// the job has no history.
	EstimatedDuration time.Duration
	// Timestamp is when the build started (Jenkins' clock).
	Timestamp       time.Time
	DisplayName     string
	FullDisplayName string
	// URL is the build URL as Jenkins wrote it, from its configured root
	// URL. Use Client.BuildURL to address the build.
	URL string
}

// Finished reports whether the build is over and has its result.
func (b *Build) Finished() bool { return !b.Building && b.Result != "" }

// buildTree is every field Build has: a build's full JSON (actions,
// change sets, artifacts) can be megabytes.
const buildTree = "number,building,result,duration,estimatedDuration,timestamp,displayName,fullDisplayName,url"

type buildJSON struct {
	Number            int     `json:"number"`
	Building          bool    `json:"building"`
	Result            *string `json:"result"`
	Duration          int64   `json:"duration"`
	EstimatedDuration int64   `json:"estimatedDuration"`
	Timestamp         int64   `json:"timestamp"`
	DisplayName       string  `json:"displayName"`
	FullDisplayName   string  `json:"fullDisplayName"`
	URL               string  `json:"url"`
}

// ParseBuild decodes a build's JSON.
func ParseBuild(data []byte) (*Build, error) {
	var v buildJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("build: invalid JSON: %v", err)
	}
	b := &Build{
		Number:            v.Number,
		Building:          v.Building,
		Duration:          time.Duration(v.Duration) * time.Millisecond,
		EstimatedDuration: time.Duration(v.EstimatedDuration) * time.Millisecond,
		DisplayName:       cleanText(v.DisplayName, 200),
		FullDisplayName:   cleanText(v.FullDisplayName, 300),
		URL:               v.URL,
	}
	if v.Result != nil {
		b.Result = cleanText(*v.Result, 40)
	}
	if v.Timestamp > 0 {
		b.Timestamp = time.UnixMilli(v.Timestamp)
	}
	return b, nil
}

// BuildURL returns the URL of build number of job on the client's Jenkins
// URL, ending in "/". Jenkins' own build URLs (executable.url, url) name its
// configured root URL, which may be a host the client cannot reach.
func (c *Client) BuildURL(job JobPath, number int) string {
	return c.buildURL(job, number).String()
}

func (c *Client) buildURL(job JobPath, number int) *url.URL {
	return c.resolve(job.relPath() + strconv.Itoa(number) + "/")
}

// buildPath returns the URL of rest (escaped, relative to the build) under
// build number of job, on the client's configured Jenkins URL. The build's
// own "url" field is never used: it comes from the root URL Jenkins is
// configured with, which may name a host the runner cannot reach.
func (c *Client) buildPath(job JobPath, number int, rest string) (*url.URL, error) {
	if len(job) == 0 {
		return nil, fmt.Errorf("%w: empty job path", ErrInvalidJobPath)
	}
	if number <= 0 {
		return nil, fmt.Errorf("jenkins: invalid build number %d", number)
	}
	return c.resolve(job.relPath() + strconv.Itoa(number) + "/" + rest), nil
}

// Build reads build number of job.
func (c *Client) Build(ctx context.Context, job JobPath, number int) (*Build, error) {
	u, err := c.buildPath(job, number, "api/json")
	if err != nil {
		return nil, err
	}
	u.RawQuery = "tree=" + url.QueryEscape(buildTree)
	data, err := c.getJSON(ctx, u)
	if err != nil {
		return nil, err
	}
	return ParseBuild(data)
}

// StopBuild asks Jenkins to abort build number of job. Jenkins answers a
// redirect to the build page, also when the build had already finished; a
// build that does not exist (or that the user may not see) gives an error
// matching ErrNotFound.
func (c *Client) StopBuild(ctx context.Context, job JobPath, number int) error {
	u, err := c.buildPath(job, number, "stop")
	if err != nil {
		return err
	}
	return c.postAction(ctx, u)
}
