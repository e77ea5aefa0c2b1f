package jenkins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// When a trigger POST reached Jenkins but its answer was lost (the
// connection dropped after the request was written, a read timeout, a
// proxy's 504), sending it again could start a second build. Instead the
// trigger reads the job and looks for the queue item its POST created.
//
// It takes no snapshot of the job before the POST: that would cost every
// trigger a request, to help only the rare one whose answer is lost.
// Instead it compares against Jenkins' own clock, read from the Date header
// of the check itself: Date minus the time elapsed since the POST was
// started (minus one second, the resolution of Date) is a moment no later
// than the one the POST reached Jenkins. A queue item of the job that
// entered the queue since then (inQueueSince), or a build that started
// since then (timestamp), with the parameters that were sent, is taken as
// the trigger's. Runner and Jenkins clocks never meet, so clock skew does
// not matter.
//
// This matches Jenkins' own rule: a trigger whose parameters equal those of
// an item already in the queue is merged into that item. An item or build
// from a concurrent trigger with the same parameters in the same second is
// therefore an acceptable answer too; an item with other parameters is
// never taken.
//
// When nothing is found the trigger fails with a message that says the
// build may still have been queued (Jenkins may not have finished handling
// the request), and never POSTs again.

// jobActivityTree is the tree filter of the check: a few fields of the
// job's queue item and of its newest builds.
const jobActivityTree = "queueItem[id,inQueueSince,actions[parameters[name,value]]]," +
	"builds[number,queueId,timestamp,actions[parameters[name,value]]]{0,10}"

type paramsAction struct {
	Parameters []struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	} `json:"parameters"`
}

type jobActivity struct {
	QueueItem *struct {
		ID           int64          `json:"id"`
		InQueueSince int64          `json:"inQueueSince"`
		Actions      []paramsAction `json:"actions"`
	} `json:"queueItem"`
	Builds []struct {
		Number    int            `json:"number"`
		QueueID   int64          `json:"queueId"`
		Timestamp int64          `json:"timestamp"`
		Actions   []paramsAction `json:"actions"`
	} `json:"builds"`
}

// findQueued looks for the queue item created by a POST started at
// started (local monotonic time). It returns nil, nil when there is none.
func (t *trigger) findQueued(ctx context.Context, started time.Time) (*Queued, error) {
	u := t.c.resolve(t.job.relPath() + "api/json")
	u.RawQuery = url.Values{"tree": {jobActivityTree}}.Encode()
	t.requests++
	resp, err := t.c.do(ctx, request{method: http.MethodGet, url: u})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, t.c.newError(resp)
	}
	defer drain(resp)
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return nil, fmt.Errorf("%s answered without a Date header, so the time of the trigger cannot be placed on Jenkins' clock", redactURL(u))
	}
	cutoff := date.Add(-time.Since(started)).Add(-time.Second).UnixMilli()
	var act jobActivity
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", redactURL(u), err)
	}
	if err := json.Unmarshal(body, &act); err != nil {
		return nil, fmt.Errorf("%s is not job JSON: %v", redactURL(u), err)
	}
	var best int64
	if qi := act.QueueItem; qi != nil && qi.ID > 0 && qi.InQueueSince >= cutoff && t.sameParameters(qi.Actions) {
		best = qi.ID
	}
	for _, b := range act.Builds {
		if b.QueueID > 0 && b.Timestamp >= cutoff && t.sameParameters(b.Actions) && (best == 0 || b.QueueID < best) {
			best = b.QueueID
		}
	}
	if best == 0 && act.QueueItem != nil {
		// The job's queueItem is only its oldest waiting item; with
		// another one waiting (other parameters), this trigger's item is
		// further down the queue. Only then is the whole queue read.
		id, err := t.findInQueue(ctx, cutoff)
		if err != nil {
			return nil, err
		}
		best = id
	}
	if best == 0 {
		return nil, nil
	}
	return &Queued{ID: best, URL: t.c.QueueItemURL(best), Recovered: true}, nil
}

// queueTree is the tree filter of the queue read: what findInQueue compares.
const queueTree = "items[id,inQueueSince,task[url],actions[parameters[name,value]]]"

// findInQueue looks through Jenkins' whole queue for an item of this job
// that entered it since cutoff (Jenkins' epoch milliseconds) with the
// parameters sent. The item's task.url is on Jenkins' root URL, which may
// name another host, so only its path is compared with the job's.
func (t *trigger) findInQueue(ctx context.Context, cutoff int64) (int64, error) {
	u := t.c.resolve("queue/api/json")
	u.RawQuery = url.Values{"tree": {queueTree}}.Encode()
	t.requests++
	data, err := t.c.getJSON(ctx, u)
	if err != nil {
		return 0, err
	}
	var q struct {
		Items []struct {
			ID           int64 `json:"id"`
			InQueueSince int64 `json:"inQueueSince"`
			Task         struct {
				URL string `json:"url"`
			} `json:"task"`
			Actions []paramsAction `json:"actions"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &q); err != nil {
		return 0, fmt.Errorf("%s is not queue JSON: %v", redactURL(u), err)
	}
	var best int64
	for _, it := range q.Items {
		tu, err := url.Parse(it.Task.URL)
		if err != nil || it.ID <= 0 || it.InQueueSince < cutoff || !t.sameParameters(it.Actions) {
			continue
		}
		p := tu.EscapedPath()
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		if strings.HasSuffix(p, "/"+t.job.relPath()) && (best == 0 || it.ID < best) {
			best = it.ID
		}
	}
	return best, nil
}

// sameParameters reports whether the parameters recorded in actions agree
// with every parameter the trigger sent that the job knows. Parameters the
// job does not define are dropped by Jenkins, so they cannot be compared.
func (t *trigger) sameParameters(actions []paramsAction) bool {
	got := map[string]string{}
	for _, a := range actions {
		for _, p := range a.Parameters {
			got[p.Name] = rawString(p.Value)
		}
	}
	for _, p := range t.opts.Parameters {
		if v, ok := got[p.Name]; ok && v != p.Value {
			return false
		}
	}
	return true
}

// rawString returns a JSON string's text, or any other JSON value as
// written (true, 3).
func rawString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if s, err := strconv.Unquote(string(raw)); err == nil {
			return s
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// recoverLost handles a POST that was sent but whose answer was lost.
func (t *trigger) recoverLost(ctx context.Context, started time.Time, cause error) (*Queued, error) {
	jobURL := t.c.JobURL(t.job)
	if ctx.Err() != nil {
		return nil, t.fail(fmt.Errorf("%w (the build may or may not have been queued: check %s before running again)", cause, jobURL))
	}
	t.c.logf("The answer to the trigger was lost (%s); checking whether Jenkins queued the build", retryReason(nil, cause))
	q, err := t.findQueued(ctx, started)
	switch {
	case err != nil:
		return nil, t.fail(fmt.Errorf("%w; checking the job for the queued build failed too (%v): the build may have been queued, check %s before running again", cause, err, jobURL))
	case q == nil:
		return nil, t.fail(fmt.Errorf("%w: the request reached Jenkins but its answer was lost, and no new queue item or build of the job was found; Jenkins may still queue it: check %s before running again", cause, jobURL))
	}
	t.c.logf("Found queue item %d of %s, created since the trigger was sent", q.ID, t.job)
	return t.recovered(q), nil
}

func (t *trigger) recovered(q *Queued) *Queued {
	q.Endpoint = t.endpoint
	q.Requests = t.requests
	q.StatusCode = 0
	return q
}
