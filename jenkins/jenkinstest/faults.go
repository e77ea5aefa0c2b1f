package jenkinstest

import (
	"net/http"
	"strings"
	"sync"
)

// FaultAction is what a Fault does to a request.
type FaultAction int

// Fault actions. "Jenkins" is the fake's own handler; the fault sits in
// front of it, where a proxy or the network would be.
const (
	// Respond answers with Status, Header and Body; Jenkins never sees the
	// request (a proxy's 502, a rate limiter's 429).
	Respond FaultAction = iota
	// DropBefore closes the connection without an answer; Jenkins never
	// sees the request.
	DropBefore
	// DropAfter lets Jenkins handle the request (a trigger queues its
	// build), then closes the connection before any byte of the answer
	// is sent: the client wrote its request and lost the answer.
	DropAfter
	// RespondAfter lets Jenkins handle the request, then answers Status,
	// Header and Body instead of Jenkins' answer (a proxy that gave up
	// waiting: 504 after the build was queued).
	RespondAfter
	// Hang never answers, until the client gives up or the server closes.
	Hang
)

// Fault injects a failure into matching requests.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the end of the escaped request path (without the
	// context path), such as "/build" or "/crumbIssuer/api/json"; ""
	// matches any.
	Path string
	// Requests lists which matching requests (1 for the first) fail; nil
	// fails every one.
	Requests []int
	Action   FaultAction
	// Status, Header and Body make the answer of Respond and RespondAfter.
	Status int
	Header http.Header
	Body   string
}

// WithFault injects f. Faults are checked in the order given; the first that
// matches a request decides. Requests holds every request, those a fault
// answered included (Status 0 when the connection was dropped); a test that
// needs to know what Jenkins itself handled looks at QueueItems and Builds.
func WithFault(f Fault) Option {
	return func(s *Server) {
		var mu sync.Mutex
		seen := 0
		s.middleware = append(s.middleware, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !f.matches(s, r) {
					next.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				seen++
				n := seen
				mu.Unlock()
				if !f.selects(n) {
					next.ServeHTTP(w, r)
					return
				}
				s.inject(f, next, w, r)
			})
		})
	}
}

func (f Fault) matches(s *Server, r *http.Request) bool {
	if f.Method != "" && r.Method != f.Method {
		return false
	}
	path := strings.TrimPrefix(r.URL.EscapedPath(), s.contextPath)
	return f.Path == "" || strings.HasSuffix(path, f.Path)
}

func (f Fault) selects(n int) bool {
	if f.Requests == nil {
		return true
	}
	for _, k := range f.Requests {
		if k == n {
			return true
		}
	}
	return false
}

func (s *Server) inject(f Fault, next http.Handler, w http.ResponseWriter, r *http.Request) {
	switch f.Action {
	case Respond:
		respond(w, f)
	case DropBefore:
		hangUp(w)
	case DropAfter:
		next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		hangUp(w)
	case RespondAfter:
		next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		respond(w, f)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	}
}

func respond(w http.ResponseWriter, f Fault) {
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
	}
	status := f.Status
	if status == 0 {
		status = http.StatusBadGateway
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

// hangUp closes the connection without an answer: http.ErrAbortHandler
// makes the server drop it (HTTP/1) or reset the stream (HTTP/2), and keeps
// the panic out of the log.
func hangUp(http.ResponseWriter) {
	panic(http.ErrAbortHandler)
}

// discardWriter takes Jenkins' answer and throws it away.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// ExpireSessions invalidates every web session, as a Jenkins restart or a
// session timeout does: crumbs fetched before no longer work, and the next
// POST that sends one is refused with 403 "No valid crumb".
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = map[string]bool{}
}

// firstQueueItem returns the job's oldest item still in the queue, which
// Jenkins shows as the job's queueItem.
func (s *Server) firstQueueItem(j *job) *queueItem {
	var first *queueItem
	for _, it := range s.queue {
		if it.job == j && !it.left && (first == nil || it.id < first.id) {
			first = it
		}
	}
	return first
}

// buildsJSON lists the job's builds newest first, as Jenkins does. Like
// Jenkins at depth 0, a build shows only _class, number and url unless the
// tree parameter asks for queueId, timestamp or actions.
func (s *Server) buildsJSON(r *http.Request, j *job) []any {
	tree := r.URL.Query().Get("tree")
	out := []any{}
	for i := len(j.builds) - 1; i >= 0; i-- {
		b := j.builds[i]
		m := map[string]any{"_class": s.buildClass(j), "number": b.number, "url": s.buildURL(r, b)}
		if strings.Contains(tree, "queueId") {
			m["queueId"] = b.queueID
		}
		if strings.Contains(tree, "timestamp") {
			m["timestamp"] = b.start.UnixMilli()
		}
		if strings.Contains(tree, "actions") {
			var params []any
			for k, v := range b.params {
				params = append(params, map[string]any{"_class": "hudson.model.StringParameterValue", "name": k, "value": v})
			}
			m["actions"] = []any{map[string]any{"_class": "hudson.model.ParametersAction", "parameters": params}, map[string]any{}}
		}
		out = append(out, m)
	}
	return out
}
