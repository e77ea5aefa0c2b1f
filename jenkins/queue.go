package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// QueueState is where a queue item is in its life.
type QueueState int

// Queue item states. Waiting, Blocked and Buildable are still in the queue;
// Started and Cancelled have left it.
const (
	QueueWaiting   QueueState = iota + 1 // in the quiet period (Queue$WaitingItem)
	QueueBlocked                         // blocked, e.g. by a running build of the same job (Queue$BlockedItem)
	QueueBuildable                       // waiting for an executor (Queue$BuildableItem); see QueueItem.Stuck
	QueueStarting                        // left the queue for an executor, the build not created yet
	QueueStarted                         // left the queue: the build has a number (Queue$LeftItem)
	QueueCancelled                       // left the queue without a build (Queue$LeftItem, cancelled)
)

func (s QueueState) String() string {
	switch s {
	case QueueWaiting:
		return "waiting"
	case QueueBlocked:
		return "blocked"
	case QueueBuildable:
		return "buildable"
	case QueueStarting:
		return "starting"
	case QueueStarted:
		return "started"
	case QueueCancelled:
		return "cancelled"
	}
	return "unknown"
}

// ErrQueueItemCancelled is returned by Follow when the queue item was
// cancelled before a build started (by a user, or by Jenkins).
var ErrQueueItemCancelled = errors.New("jenkins: the queue item was cancelled before a build started")

// QueueItem is one read of a queue item.
type QueueItem struct {
	ID    int64
	State QueueState
	// Class is Jenkins' _class ("hudson.model.Queue$WaitingItem"); Jenkins
	// 1.x sends none.
	Class string
	// Why is Jenkins' explanation of the wait, cleaned to one line. It is
	// localized free text: show it, never parse it.
	Why string
	// Stuck is true for a buildable item no executor can take (no node
	// with its label, all offline).
	Stuck bool
	// InQueueSince is when the item entered the queue (Jenkins' clock).
	InQueueSince time.Time
	// QuietPeriodEnd is when a waiting item's quiet period ends (Jenkins'
	// clock); zero for other states.
	QuietPeriodEnd time.Time
	// BuildNumber is the started build's number (QueueStarted only).
	BuildNumber int
	// BuildURL is the build URL as Jenkins wrote it, from its configured
	// root URL, which may name a host the client cannot reach. Use
	// Client.BuildURL to address the build.
	BuildURL string
}

// queueItemTree keeps queue item reads small: actions and parameters can be
// large.
const queueItemTree = "_class,id,why,blocked,buildable,stuck,cancelled,inQueueSince,timestamp,executable[number,url]"

type queueItemJSON struct {
	Class        string  `json:"_class"`
	ID           int64   `json:"id"`
	Why          *string `json:"why"`
	Blocked      bool    `json:"blocked"`
	Buildable    bool    `json:"buildable"`
	Stuck        bool    `json:"stuck"`
	Cancelled    *bool   `json:"cancelled"`
	InQueueSince int64   `json:"inQueueSince"`
	Timestamp    *int64  `json:"timestamp"`
	Executable   *struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
	} `json:"executable"`
}

// ParseQueueItem decodes a queue item's JSON as any Jenkins version writes
// it. Jenkins 1.x writes no _class, and its LeftItems have no "cancelled":
// there a left item is recognised by its executable, or, cancelled, by
// having neither a why nor a quiet-period timestamp (every item still in
// the queue has a why).
func ParseQueueItem(data []byte) (*QueueItem, error) {
	var v queueItemJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("queue item: invalid JSON: %v", err)
	}
	it := &QueueItem{ID: v.ID, Class: v.Class, Stuck: v.Stuck}
	if v.Why != nil {
		it.Why = cleanText(*v.Why, 300)
	}
	if v.InQueueSince > 0 {
		it.InQueueSince = time.UnixMilli(v.InQueueSince)
	}
	class := v.Class[strings.LastIndex(v.Class, "$")+1:]
	switch {
	case v.Executable != nil:
		if v.Executable.Number <= 0 {
			return nil, fmt.Errorf("queue item %d: executable has no build number", v.ID)
		}
		it.State, it.BuildNumber, it.BuildURL = QueueStarted, v.Executable.Number, v.Executable.URL
	case v.Cancelled != nil && *v.Cancelled:
		it.State = QueueCancelled
	case class == "LeftItem" && v.Cancelled != nil:
		// Left for an executor that has not created the build yet.
		it.State = QueueStarting
	case class == "LeftItem":
		it.State = QueueCancelled
	case class == "BlockedItem", v.Class == "" && v.Blocked:
		it.State = QueueBlocked
	case class == "BuildableItem", v.Class == "" && v.Buildable:
		it.State = QueueBuildable
	case class == "WaitingItem", v.Class == "" && (v.Why != nil || v.Timestamp != nil):
		it.State = QueueWaiting
	case v.Class == "":
		it.State = QueueCancelled
	default:
		// An item class this client does not know (a plugin's): still in
		// the queue as far as anyone can tell.
		it.State = QueueBuildable
	}
	if it.State == QueueWaiting && v.Timestamp != nil && *v.Timestamp > 0 {
		it.QuietPeriodEnd = time.UnixMilli(*v.Timestamp)
	}
	return it, nil
}

// QueueItem reads queue item id. Jenkins forgets an item 5 minutes after it
// left the queue; the error then matches ErrNotFound.
func (c *Client) QueueItem(ctx context.Context, id int64) (*QueueItem, error) {
	u := c.resolve("queue/item/" + strconv.FormatInt(id, 10) + "/api/json")
	u.RawQuery = "tree=" + url.QueryEscape(queueItemTree)
	data, err := c.getJSON(ctx, u)
	if err != nil {
		return nil, err
	}
	return ParseQueueItem(data)
}

// CancelQueueItem cancels queue item id. An item that is already gone
// (started, cancelled or forgotten) gives an error matching ErrNotFound.
func (c *Client) CancelQueueItem(ctx context.Context, id int64) error {
	u := c.resolve("queue/cancelItem")
	u.RawQuery = "id=" + strconv.FormatInt(id, 10)
	// 204 since 2.x; older versions redirect to the queue page.
	return c.postAction(ctx, u)
}

// postAction sends a POST whose answer says nothing but its status, such as
// stop or cancelItem: any 2xx or 3xx is success (the 3xx is not followed).
func (c *Client) postAction(ctx context.Context, u *url.URL) error {
	resp, err := c.post(ctx, u, nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode < 400 {
		drain(resp)
		return nil
	}
	return c.newError(resp)
}

// maxJSON bounds an API answer: the trees asked for are tiny, and a huge
// answer is a misconfigured proxy, not Jenkins.
const maxJSON = 4 << 20

// getJSON GETs u and returns the body of a 200 answer.
func (c *Client) getJSON(ctx context.Context, u *url.URL) ([]byte, error) {
	resp, err := c.get(ctx, u, "application/json", false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON))
	if err != nil {
		return nil, &url.Error{Op: "Get", URL: redactURL(u), Err: err}
	}
	return data, nil
}

// get sends a GET and returns the response when it is a 200, and an *Error
// (which closes the body) otherwise. A stream response is not bound by the
// per-request timeout: the caller reads it under the context alone.
func (c *Client) get(ctx context.Context, u *url.URL, accept string, stream bool) (*http.Response, error) {
	h := http.Header{}
	if accept != "" {
		h.Set("Accept", accept)
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, header: h, stream: stream})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.newError(resp)
	}
	return resp, nil
}
