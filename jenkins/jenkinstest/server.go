// Package jenkinstest provides a fake Jenkins server for tests, in the
// spirit of net/http/httptest: NewServer starts it on a loopback address and
// its URL field is the Jenkins root URL.
//
// The fake is strict, because a fake that is more forgiving than Jenkins
// hides bugs. Like Jenkins it authenticates first (a bad password or token
// is a 401 on any URL), then checks the CSRF crumb of every POST that is not
// authenticated with an API token (the crumb is bound to the session cookie
// that came with it), then routes, then checks permissions (a job the user
// may not see is a 404). Error bodies are Jetty-style HTML pages. Unknown
// routes get a 404 page and wrong methods a 405.
//
// Queue items advance one state each time a client reads them (never by
// sleeping), builds run for a chosen duration on the server's clock, and
// every request is recorded so a test can assert, for example, that exactly
// one POST reached /build.
package jenkinstest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Permission names as Jenkins reports them in X-Required-Permission.
const (
	PermOverallRead = "hudson.model.Hudson.Read"
	PermItemRead    = "hudson.model.Item.Read"
	PermBuild       = "hudson.model.Item.Build"
	PermCancel      = "hudson.model.Item.Cancel"
)

// AllPermissions is what a user gets when WithUser is given no permissions.
var AllPermissions = []string{PermOverallRead, PermItemRead, PermBuild, PermCancel}

// QueueKind is the state of a queue item, as its JSON _class says.
type QueueKind string

// Queue item states.
const (
	Waiting   QueueKind = "hudson.model.Queue$WaitingItem"
	Blocked   QueueKind = "hudson.model.Queue$BlockedItem"
	Buildable QueueKind = "hudson.model.Queue$BuildableItem"
	// Stuck is a BuildableItem with "stuck": true.
	Stuck QueueKind = "stuck"
	// Cancelled ends the item without a build, as if someone cancelled it.
	Cancelled QueueKind = "cancelled"
	// Left is a LeftItem (the build started, or the item was cancelled).
	Left QueueKind = "hudson.model.Queue$LeftItem"
	// Starting is a LeftItem whose executor has not created the build yet:
	// "cancelled": false and "executable": null.
	Starting QueueKind = "starting"
	// Dropped makes the item vanish (404), as Jenkins forgets an item 5
	// minutes after it left the queue, or as a deleted job's items go.
	Dropped QueueKind = "dropped"
)

// QueueState is one step of a queue item's life, shown to one poll.
type QueueState struct {
	Kind QueueKind
	// Why is Jenkins' free-form explanation; a default is used when empty.
	Why string
}

// ParameterDefinition is a parameter a job declares.
type ParameterDefinition struct {
	Name    string
	Default string
}

// BuildScript says how the builds of a job run.
type BuildScript struct {
	// Duration of each build on the server's clock; zero finishes at once.
	Duration time.Duration
	// Result is SUCCESS (the default), UNSTABLE, FAILURE, ABORTED or NOT_BUILT.
	Result string
	// Log is the console, in chunks that appear evenly over Duration.
	// "Started by ..." and "Finished: RESULT" lines are added around it.
	// Chunks are raw bytes: they may hold ConsoleNote blobs, CRLF, or half
	// of a UTF-8 character.
	Log []string
	// LogSize, when positive, replaces Log by a generated console of that
	// many bytes, appearing evenly over Duration: deterministic
	// numbered lines (see GeneratedLog), produced as they are sent, so a
	// benchmark can stream gigabytes of console with the server in constant
	// memory.
	LogSize int64
	// LogLag keeps the console incomplete (X-More-Data, no "Finished:"
	// line) for this long after the build JSON says it has finished, as
	// Pipeline does while it writes the last lines.
	LogLag time.Duration
	// EstimatedDuration is what the build JSON says; by default -1 for
	// the first build (no history) and Duration after it.
	EstimatedDuration time.Duration
	// TestReport is the body of <build>/testReport/api/json (JUnit
	// results), served as is whatever the tree asks; empty means the build
	// published none, and the route answers 404 as Jenkins does.
	TestReport string
	// Stages is the body of <build>/wfapi/describe (Pipeline Stage View);
	// empty means the plugin is not installed: 404.
	Stages string
	// Artifacts are the files the build archived, by relativePath
	// ("dist/app.tar.gz"), served from <build>/artifact/<relativePath> and
	// listed in the build's JSON.
	Artifacts map[string]string
	// Description is the build's description ("" for none: null).
	Description string
}

// Job is a job of the fake Jenkins.
type Job struct {
	// FullName with folders separated by "/"; folders are created as
	// needed. A multibranch branch is named as Jenkins names it:
	// "app/feature%2Flogin".
	FullName string
	// Parameters makes the job parameterized.
	Parameters []ParameterDefinition
	// Disabled jobs answer 409 to a trigger.
	Disabled bool
	// BuildToken is the "Trigger builds remotely" token.
	BuildToken string
	// Queue is the life of each new queue item of this job: one state per
	// read of the item. After the last state the build starts (unless a
	// state was Cancelled). With no states, the build starts on the first
	// read.
	Queue []QueueState
	// Build says how builds run.
	Build BuildScript
	// Pipeline makes the job a WorkflowJob instead of a FreeStyleProject.
	Pipeline bool
}

// Request is a request the server received.
type Request struct {
	Method string
	// Path is the escaped path, without the context path.
	Path   string
	Query  url.Values
	Form   url.Values // urlencoded body (POST)
	Header http.Header
	// Status is what the server answered.
	Status int
	// Received is when the request arrived (wall clock, not the server's
	// clock), for measuring start-up latency.
	Received time.Time
}

// Option configures a Server.
type Option func(*Server)

type user struct {
	password string
	tokens   []string
	perms    map[string]bool
}

// WithUser adds a user who logs in with password and has perms (all
// permissions when none are given).
func WithUser(name, password string, perms ...string) Option {
	return func(s *Server) {
		if len(perms) == 0 {
			perms = AllPermissions
		}
		u := s.user(name)
		u.password = password
		u.perms = map[string]bool{}
		for _, p := range perms {
			u.perms[p] = true
		}
	}
}

// WithAPIToken gives user an API token. Requests authenticated with it need
// no crumb.
func WithAPIToken(name, token string) Option {
	return func(s *Server) {
		u := s.user(name)
		u.tokens = append(u.tokens, token)
	}
}

// WithAnonymous grants permissions to anonymous users (none by default).
func WithAnonymous(perms ...string) Option {
	return func(s *Server) {
		for _, p := range perms {
			s.anonymous[p] = true
		}
	}
}

// WithCSRF switches CSRF protection on (the default) or off. When off, the
// crumb issuer answers 404.
func WithCSRF(on bool) Option { return func(s *Server) { s.csrf = on } }

// WithCrumbField sets the crumb's request field ("Jenkins-Crumb" by default,
// ".crumb" on Jenkins 1.x).
func WithCrumbField(name string) Option { return func(s *Server) { s.crumbField = name } }

// WithContextPath serves Jenkins under a context path such as "/jenkins".
func WithContextPath(p string) Option {
	return func(s *Server) { s.contextPath = "/" + strings.Trim(p, "/") }
}

// WithMergeStatus sets the status /buildWithParameters answers when it
// merges a request into a waiting queue item: 200 (since 2024, the
// default), 303 (2.308 to about 2.46x) or 201 (older).
func WithMergeStatus(code int) Option { return func(s *Server) { s.mergeStatus = code } }

// WithRootURL sets the root URL Jenkins is configured with, which it uses in
// payloads (executable.url, task.url) and, as a badly configured proxy
// would, in Location headers. By default both come from the request.
func WithRootURL(u string) Option {
	return func(s *Server) { s.rootURL = strings.TrimSuffix(u, "/") }
}

// WithJob adds a job.
func WithJob(j Job) Option { return func(s *Server) { s.addJob(j) } }

// WithClock sets the server's clock, which runs builds.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLatency delays every answer by d, to measure a client over a slow
// network (benchmarks, not tests: tests never sleep).
func WithLatency(d time.Duration) Option {
	return WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(d)
			next.ServeHTTP(w, r)
		})
	})
}

// WithMiddleware wraps the server's handler, for fault injection: the
// wrapper sees every request first and may answer it itself.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(s *Server) { s.middleware = append(s.middleware, mw) }
}

// Server is a fake Jenkins.
type Server struct {
	// URL is the Jenkins root URL, context path included, without a
	// trailing slash.
	URL string
	ts  *httptest.Server

	mu          sync.Mutex
	users       map[string]*user
	anonymous   map[string]bool
	csrf        bool
	crumbField  string
	contextPath string
	mergeStatus int
	rootURL     string
	now         func() time.Time
	middleware  []func(http.Handler) http.Handler
	salt        string
	nodeID      string

	jobs     map[string]*job // by full name
	folders  map[string]bool
	queue    map[int64]*queueItem
	nextID   int64
	sessions map[string]bool
	requests []Request

	closing   chan struct{} // closed by Close, to release hanging requests
	closeOnce sync.Once
}

type job struct {
	Job
	builds    []*build
	nextBuild int
}

type queueItem struct {
	id       int64
	job      *job
	params   map[string]string
	order    []string
	since    time.Time
	step     int // states shown so far
	state    QueueState
	left     bool
	leftAt   time.Time
	dropped  bool
	canceled bool
	build    *build
}

type build struct {
	number   int
	job      *job
	params   map[string]string
	queueID  int64
	start    time.Time
	duration time.Duration
	result   string
	stopped  bool
	stopAt   time.Time
	stopBy   string
	chunks   []string
}

// NewServer starts a fake Jenkins on a loopback address.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewTLSServer starts a fake Jenkins with HTTPS, using httptest's
// self-signed certificate; Client returns a client that trusts it.
func NewTLSServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.StartTLS()
	return s
}

// NewUnstartedServer returns a fake Jenkins that is not listening yet, so
// that Config and TLS of Unstarted can be changed before Start or StartTLS.
func NewUnstartedServer(opts ...Option) *Server {
	s := &Server{
		users:       map[string]*user{},
		anonymous:   map[string]bool{},
		csrf:        true,
		crumbField:  "Jenkins-Crumb",
		mergeStatus: http.StatusOK,
		now:         time.Now,
		jobs:        map[string]*job{},
		folders:     map[string]bool{},
		queue:       map[int64]*queueItem{},
		nextID:      1,
		sessions:    map[string]bool{},
		salt:        randomHex(16),
		nodeID:      randomHex(4),
		closing:     make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	var h http.Handler = http.HandlerFunc(s.serve)
	for i := len(s.middleware) - 1; i >= 0; i-- {
		h = s.middleware[i](h)
	}
	h = s.record(h)
	s.ts = httptest.NewUnstartedServer(h)
	// TLS handshake failures are what some tests are about; keep them out
	// of the test log.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	return s
}

// Unstarted returns the underlying httptest server, to change its Config or
// TLS before Start.
func (s *Server) Unstarted() *httptest.Server { return s.ts }

// Start starts the server on HTTP.
func (s *Server) Start() {
	s.ts.Start()
	s.URL = s.ts.URL + strings.TrimSuffix(s.contextPath, "/")
}

// StartTLS starts the server on HTTPS.
func (s *Server) StartTLS() {
	s.ts.StartTLS()
	s.URL = s.ts.URL + strings.TrimSuffix(s.contextPath, "/")
}

// Close shuts the server down, waiting for outstanding requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Client returns an HTTP client for the server (trusting its certificate
// when it runs TLS).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// CloseClientConnections drops every open connection, as a network fault
// would.
func (s *Server) CloseClientConnections() { s.ts.CloseClientConnections() }

// Certificate returns the TLS certificate of a TLS server.
func (s *Server) Certificate() []byte {
	c := s.ts.Certificate()
	if c == nil {
		return nil
	}
	return c.Raw
}

func (s *Server) user(name string) *user {
	u := s.users[name]
	if u == nil {
		u = &user{perms: map[string]bool{}}
		for _, p := range AllPermissions {
			u.perms[p] = true
		}
		s.users[name] = u
	}
	return u
}

func (s *Server) addJob(j Job) {
	name := strings.Trim(j.FullName, "/")
	j.FullName = name
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		s.folders[strings.Join(parts[:i], "/")] = true
	}
	if j.Build.Result == "" {
		j.Build.Result = "SUCCESS"
	}
	s.jobs[name] = &job{Job: j, nextBuild: 1}
}

// AddJob adds a job to a running server.
func (s *Server) AddJob(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addJob(j)
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// CountRequests counts the requests with method whose path ends with suffix.
func (s *Server) CountRequests(method, suffix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// QueuedBuild describes one queue item, for assertions.
type QueuedBuild struct {
	ID         int64
	Job        string
	Parameters map[string]string
	// BuildNumber is 0 while the item waits, and when it was cancelled.
	BuildNumber int
	Cancelled   bool
}

// QueueItems returns every queue item created so far, in order.
func (s *Server) QueueItems() []QueuedBuild {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []QueuedBuild
	for _, it := range s.queue {
		q := QueuedBuild{ID: it.id, Job: it.job.FullName, Parameters: copyMap(it.params), Cancelled: it.canceled}
		if it.build != nil {
			q.BuildNumber = it.build.number
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// BuildState describes one build, for assertions.
type BuildState struct {
	Number     int
	Building   bool
	Result     string // "" while building
	Parameters map[string]string
	Stopped    bool
}

// Builds returns the builds of the named job.
func (s *Server) Builds(fullName string) []BuildState {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[fullName]
	if j == nil {
		return nil
	}
	var out []BuildState
	for _, b := range j.builds {
		building, result := s.buildStatus(b)
		out = append(out, BuildState{Number: b.number, Building: building, Result: result, Parameters: copyMap(b.params), Stopped: b.stopped})
	}
	return out
}

// RunBuild starts a build of the named job as if a queue item had just
// left the queue, and returns its number (0 for an unknown job). It lets a
// test reach a build's pages without going through a trigger.
func (s *Server) RunBuild(fullName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[fullName]
	if j == nil {
		return 0
	}
	it := &queueItem{id: s.nextID, job: j, params: map[string]string{}, since: s.now()}
	s.nextID++
	s.queue[it.id] = it
	s.leave(it, false)
	return it.build.number
}

// DropQueueItem makes queue item id vanish, as Jenkins does 5 minutes after
// it left the queue.
func (s *Server) DropQueueItem(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.queue[id]; it != nil {
		it.dropped = true
	}
}

// CancelQueueItem cancels queue item id, as a Jenkins user would.
func (s *Server) CancelQueueItem(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.queue[id]; it != nil && !it.left {
		s.leave(it, true)
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- request pipeline ----

type caller struct {
	name    string // "" for anonymous
	byToken bool
}

func (s *Server) can(c caller, perm string) bool {
	if c.name == "" {
		return s.anonymous[perm]
	}
	return s.users[c.name].perms[perm]
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// record is the outermost handler: it records every request, those that
// a middleware answers included.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			_ = r.ParseForm()
		}
		entry := Request{Received: time.Now(), Method: r.Method, Path: strings.TrimPrefix(r.URL.EscapedPath(), s.contextPath), Query: r.URL.Query(), Form: r.PostForm, Header: r.Header.Clone()}
		defer func() {
			entry.Status = rec.status
			s.mu.Lock()
			s.requests = append(s.requests, entry)
			s.mu.Unlock()
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) serve(rec http.ResponseWriter, r *http.Request) {
	w := rec
	path := r.URL.EscapedPath()
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Server", "Jetty(12.1.5) jenkinstest")

	// Jetty answers these before Jenkins sees the request.
	if s.contextPath != "" && path != s.contextPath && !strings.HasPrefix(path, s.contextPath+"/") {
		jettyError(rec, http.StatusNotFound, "Not Found")
		return
	}
	if strings.Contains(path, ";") {
		jettyError(rec, http.StatusBadRequest, "Ambiguous URI path separator")
		return
	}
	if strings.Contains(path, "//") {
		jettyError(rec, http.StatusBadRequest, "Ambiguous URI empty segment")
		return
	}
	// 1. Authentication.
	c, ok := s.authenticate(r)
	if !ok {
		rec.Header().Set("WWW-Authenticate", `Basic realm="Jenkins"`)
		jettyError(rec, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if c.name != "" {
		rec.Header().Set("X-You-Are-Authenticated-As", c.name)
	} else {
		rec.Header().Set("X-You-Are-Authenticated-As", "anonymous")
	}
	rec.Header().Set("X-Jenkins", "2.541.3")
	// 2. CSRF.
	if r.Method == http.MethodPost && s.csrf && !c.byToken && !s.validCrumb(r, c) {
		jettyError(rec, http.StatusForbidden, "No valid crumb was included in the request")
		return
	}
	// 3. Routing.
	path = strings.TrimPrefix(path, s.contextPath)
	var segs []string
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if p == "" {
			continue
		}
		d, err := url.PathUnescape(p)
		if err != nil {
			jettyError(rec, http.StatusBadRequest, "Bad URI")
			return
		}
		segs = append(segs, d)
	}
	if !s.can(c, PermOverallRead) {
		s.forbidden(rec, c, PermOverallRead)
		return
	}
	s.route(rec, r, c, segs)
}

func (s *Server) authenticate(r *http.Request) (caller, bool) {
	name, secret, ok := r.BasicAuth()
	if !ok {
		return caller{}, true // other schemes are ignored: anonymous
	}
	u := s.users[name]
	if u == nil {
		return caller{}, false
	}
	for _, t := range u.tokens {
		if t == secret {
			return caller{name: name, byToken: true}, true
		}
	}
	if u.password != "" && u.password == secret {
		return caller{name: name}, true
	}
	return caller{}, false
}

func (s *Server) sessionCookieName() string { return "JSESSIONID." + s.nodeID }

func (s *Server) crumbFor(c caller, session string) string {
	sum := sha256.Sum256([]byte(c.name + ";" + session + ";" + s.salt))
	return hex.EncodeToString(sum[:])
}

func (s *Server) validCrumb(r *http.Request, c caller) bool {
	ck, err := r.Cookie(s.sessionCookieName())
	if err != nil || !s.sessions[ck.Value] {
		return false
	}
	got := r.Header.Get(s.crumbField)
	if got == "" {
		got = r.Form.Get(s.crumbField)
	}
	return got != "" && got == s.crumbFor(c, ck.Value)
}

func (s *Server) forbidden(w http.ResponseWriter, c caller, perm string) {
	w.Header().Set("X-Required-Permission", perm)
	if c.name == "" {
		jenkinsPage(w, http.StatusForbidden, "Authentication required", "Authentication required")
		return
	}
	jenkinsPage(w, http.StatusForbidden, "Access Denied", c.name+" is missing the "+permTitle(perm)+" permission")
}

func permTitle(p string) string {
	switch p {
	case PermOverallRead:
		return "Overall/Read"
	case PermItemRead:
		return "Job/Read"
	case PermBuild:
		return "Job/Build"
	case PermCancel:
		return "Job/Cancel"
	}
	return p
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, c caller, segs []string) {
	switch {
	case len(segs) == 0 || (len(segs) == 2 && segs[0] == "api" && segs[1] == "json"):
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, map[string]any{"_class": "hudson.model.Hudson", "mode": "NORMAL", "useCrumbs": s.csrf, "useSecurity": true, "url": s.root(r) + "/"})
		return
	case len(segs) == 3 && segs[0] == "crumbIssuer" && segs[1] == "api" && segs[2] == "json":
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		if !s.csrf {
			jenkinsNotFound(w)
			return
		}
		session := randomHex(16)
		s.sessions[session] = true
		http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: session, Path: s.contextPath + "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		writeJSON(w, map[string]any{"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": s.crumbFor(c, session), "crumbRequestField": s.crumbField})
		return
	case len(segs) >= 1 && segs[0] == "queue":
		s.routeQueue(w, r, c, segs[1:])
		return
	case len(segs) >= 2 && segs[0] == "job":
		s.routeJob(w, r, c, segs)
		return
	}
	jenkinsNotFound(w)
}

func methodIs(w http.ResponseWriter, r *http.Request, m string) bool {
	if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", m)
	jettyError(w, http.StatusMethodNotAllowed, "HTTP method "+r.Method+" is not supported by this URL")
	return false
}

// root is the URL Jenkins puts in payloads.
func (s *Server) root(r *http.Request) string {
	if s.rootURL != "" {
		return s.rootURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(s.contextPath, "/")
}

func (s *Server) routeJob(w http.ResponseWriter, r *http.Request, c caller, segs []string) {
	var names []string
	i := 0
	for i+1 < len(segs) && segs[i] == "job" {
		names = append(names, segs[i+1])
		i += 2
		full := strings.Join(names, "/")
		if s.folders[full] {
			continue
		}
		break
	}
	full := strings.Join(names, "/")
	j := s.jobs[full]
	if j == nil || !s.can(c, PermItemRead) {
		// Jenkins hides items a user may not read behind the same 404.
		jenkinsNotFound(w)
		return
	}
	rest := segs[i:]
	switch {
	case len(rest) == 0 || (len(rest) == 2 && rest[0] == "api" && rest[1] == "json"):
		if methodIs(w, r, http.MethodGet) {
			writeJSON(w, s.jobJSON(r, j))
		}
	case len(rest) == 1 && (rest[0] == "build" || rest[0] == "buildWithParameters"):
		s.trigger(w, r, c, j, rest[0])
	case len(rest) >= 1 && isNumber(rest[0]):
		n, _ := strconv.Atoi(rest[0])
		if n <= 0 || n > len(j.builds) {
			jenkinsNotFound(w)
			return
		}
		s.routeBuild(w, r, c, j.builds[n-1], rest[1:])
	default:
		jenkinsNotFound(w)
	}
}

func isNumber(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

func (s *Server) trigger(w http.ResponseWriter, r *http.Request, c caller, j *job, endpoint string) {
	if r.Method != http.MethodPost {
		if endpoint == "build" && len(j.Parameters) > 0 && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html;charset=utf-8")
			fmt.Fprint(w, "<html><body><form method=post action=build>parameters</form></body></html>")
			return
		}
		methodIs(w, r, http.MethodPost)
		return
	}
	form := r.Form
	if form == nil {
		form = r.URL.Query()
	}
	// Build permission, or the job's build token.
	if tok := form.Get("token"); tok != "" && j.BuildToken != "" {
		if tok != j.BuildToken {
			jenkinsPage(w, http.StatusForbidden, "Access Denied", "Invalid token provided")
			return
		}
	} else if !s.can(c, PermBuild) {
		s.forbidden(w, c, PermBuild)
		return
	}
	if j.Disabled {
		jenkinsPage(w, http.StatusConflict, "Error", j.FullName+" is not buildable")
		return
	}
	params := map[string]string{}
	var order []string
	switch {
	case endpoint == "buildWithParameters" && len(j.Parameters) == 0:
		jenkinsPage(w, http.StatusBadRequest, "Error", j.FullName+" is not parameterized")
		return
	case endpoint == "build" && len(j.Parameters) > 0:
		raw := form.Get("json")
		if raw == "" {
			jenkinsPage(w, http.StatusBadRequest, "Error", "Nothing is submitted")
			return
		}
		var v struct {
			Parameter []struct{ Name, Value string } `json:"parameter"`
		}
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			jenkinsPage(w, http.StatusBadRequest, "Error", "This page expects a form submission")
			return
		}
		for _, d := range j.Parameters {
			params[d.Name], order = d.Default, append(order, d.Name)
		}
		for _, p := range v.Parameter {
			if _, ok := params[p.Name]; ok {
				params[p.Name] = p.Value
			}
		}
	case endpoint == "buildWithParameters":
		for _, d := range j.Parameters {
			vals := form[d.Name]
			if len(vals) > 1 {
				jettyError(w, http.StatusInternalServerError, "java.lang.IllegalArgumentException: "+d.Name+" is given more than once")
				return
			}
			v := d.Default
			if len(vals) == 1 {
				v = vals[0]
			}
			params[d.Name], order = v, append(order, d.Name)
		}
	}
	// Merge into a waiting item with the same parameters.
	for _, it := range s.queue {
		if it.job == j && !it.left && sameParams(it.params, params) {
			w.Header().Set("Location", s.root(r)+"/queue/item/"+strconv.FormatInt(it.id, 10)+"/")
			status := http.StatusCreated
			if endpoint == "buildWithParameters" {
				status = s.mergeStatus
			}
			w.WriteHeader(status)
			return
		}
	}
	it := &queueItem{id: s.nextID, job: j, params: params, order: order, since: s.now()}
	s.nextID++
	it.state = QueueState{Kind: Waiting, Why: "In the quiet period. Expires in 5 sec"}
	s.queue[it.id] = it
	w.Header().Set("Location", s.root(r)+"/queue/item/"+strconv.FormatInt(it.id, 10)+"/")
	w.WriteHeader(http.StatusCreated)
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func (s *Server) routeQueue(w http.ResponseWriter, r *http.Request, c caller, segs []string) {
	switch {
	case len(segs) == 2 && segs[0] == "api" && segs[1] == "json":
		// The whole queue: items still waiting, those the caller may see.
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		items := []any{}
		for _, id := range s.sortedQueueIDs() {
			if it := s.queue[id]; !it.left && !it.dropped && s.can(c, PermItemRead) {
				items = append(items, s.queueJSON(r, it))
			}
		}
		writeJSON(w, map[string]any{"_class": "hudson.model.Queue", "discoverableItems": []any{}, "items": items})
		return
	case len(segs) == 1 && segs[0] == "cancelItem":
		if !methodIs(w, r, http.MethodPost) {
			return
		}
		id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
		it := s.queue[id]
		if it == nil || it.dropped || !s.can(c, PermItemRead) {
			jenkinsNotFound(w)
			return
		}
		if !s.can(c, PermCancel) {
			jenkinsPage(w, http.StatusUnprocessableEntity, "Error", "Not permitted to cancel this item")
			return
		}
		if !it.left {
			s.leave(it, true)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case len(segs) >= 2 && segs[0] == "item" && isNumber(segs[1]):
		id, _ := strconv.ParseInt(segs[1], 10, 64)
		it := s.queue[id]
		if it == nil || it.dropped || (it.left && s.now().Sub(it.leftAt) > 5*time.Minute) || !s.can(c, PermItemRead) {
			jenkinsNotFound(w)
			return
		}
		rest := segs[2:]
		switch {
		case len(rest) == 0:
			if methodIs(w, r, http.MethodGet) {
				w.Header().Set("Content-Type", "text/plain;charset=utf-8")
				fmt.Fprintln(w, "This is a queue item. Use /api/json to read it.")
			}
		case len(rest) == 2 && rest[0] == "api" && rest[1] == "json":
			if methodIs(w, r, http.MethodGet) {
				s.advance(it)
				if it.dropped {
					jenkinsNotFound(w)
					return
				}
				writeJSON(w, s.queueJSON(r, it))
			}
		default:
			jenkinsNotFound(w)
		}
		return
	}
	jenkinsNotFound(w)
}

func (s *Server) sortedQueueIDs() []int64 {
	ids := make([]int64, 0, len(s.queue))
	for id := range s.queue {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// advance moves a waiting item one step along its job's queue script.
func (s *Server) advance(it *queueItem) {
	if it.left {
		return
	}
	script := it.job.Queue
	if it.step >= len(script) {
		s.leave(it, false)
		return
	}
	st := script[it.step]
	it.step++
	switch st.Kind {
	case Cancelled:
		s.leave(it, true)
		return
	case Dropped:
		it.dropped = true
		return
	}
	it.state = st
}

func (s *Server) leave(it *queueItem, cancelled bool) {
	it.left, it.leftAt, it.canceled = true, s.now(), cancelled
	it.state = QueueState{Kind: Left}
	if cancelled {
		return
	}
	j := it.job
	b := &build{number: j.nextBuild, job: j, params: it.params, queueID: it.id, start: s.now(),
		duration: j.Build.Duration, result: j.Build.Result, chunks: j.Build.Log}
	j.nextBuild++
	j.builds = append(j.builds, b)
	it.build = b
}

func defaultWhy(k QueueKind) string {
	switch k {
	case Waiting:
		return "In the quiet period. Expires in 4.9 sec"
	case Blocked:
		return "Build #1 is already in progress (ETA:15 sec)"
	case Buildable:
		return "Waiting for next available executor"
	case Stuck:
		return "There are no nodes with the label ‘linux’"
	}
	return ""
}

func (s *Server) taskJSON(r *http.Request, j *job) map[string]any {
	class := "hudson.model.FreeStyleProject"
	if j.Pipeline {
		class = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
	}
	return map[string]any{"_class": class, "name": j.FullName[strings.LastIndex(j.FullName, "/")+1:], "url": s.jobURL(r, j), "color": "blue"}
}

func (s *Server) jobURL(r *http.Request, j *job) string {
	var b strings.Builder
	b.WriteString(s.root(r) + "/")
	for _, n := range strings.Split(j.FullName, "/") {
		b.WriteString("job/" + url.PathEscape(n) + "/")
	}
	return b.String()
}

func (s *Server) queueJSON(r *http.Request, it *queueItem) map[string]any {
	var params []any
	var ptext strings.Builder
	for _, k := range it.order {
		params = append(params, map[string]any{"_class": "hudson.model.StringParameterValue", "name": k, "value": it.params[k]})
		ptext.WriteString("\n" + k + "=" + it.params[k])
	}
	m := map[string]any{
		"actions": []any{
			map[string]any{"_class": "hudson.model.ParametersAction", "parameters": params},
			map[string]any{},
			map[string]any{"_class": "hudson.model.CauseAction", "causes": []any{map[string]any{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote host 127.0.0.1"}}},
		},
		"blocked":      false,
		"buildable":    false,
		"id":           it.id,
		"inQueueSince": it.since.UnixMilli(),
		"params":       ptext.String(),
		"stuck":        false,
		"task":         s.taskJSON(r, it.job),
		"url":          "queue/item/" + strconv.FormatInt(it.id, 10) + "/",
		"why":          nil,
	}
	st := it.state
	why := st.Why
	if why == "" {
		why = defaultWhy(st.Kind)
	}
	switch st.Kind {
	case Waiting:
		m["_class"] = string(Waiting)
		m["why"] = why
		m["timestamp"] = it.since.Add(5 * time.Second).UnixMilli()
	case Blocked:
		m["_class"] = string(Blocked)
		m["blocked"] = true
		m["why"] = why
		m["buildableStartMilliseconds"] = it.since.UnixMilli()
	case Buildable, Stuck:
		m["_class"] = string(Buildable)
		m["buildable"] = true
		m["why"] = why
		m["stuck"] = st.Kind == Stuck
		m["pending"] = false
		m["buildableStartMilliseconds"] = it.since.UnixMilli()
	case Starting:
		m["_class"] = string(Left)
		m["cancelled"] = false
		m["executable"] = nil
	case Left:
		m["_class"] = string(Left)
		m["cancelled"] = it.canceled
		if it.build != nil {
			m["executable"] = map[string]any{"_class": s.buildClass(it.job), "number": it.build.number, "url": s.buildURL(r, it.build)}
		} else {
			m["executable"] = nil
		}
	}
	return m
}

func (s *Server) buildClass(j *job) string {
	if j.Pipeline {
		return "org.jenkinsci.plugins.workflow.job.WorkflowRun"
	}
	return "hudson.model.FreeStyleBuild"
}

func (s *Server) buildURL(r *http.Request, b *build) string {
	return s.jobURL(r, b.job) + strconv.Itoa(b.number) + "/"
}

func (s *Server) jobJSON(r *http.Request, j *job) map[string]any {
	m := s.taskJSON(r, j)
	m["fullName"] = j.FullName
	m["buildable"] = !j.Disabled
	inQueue := false
	for _, it := range s.queue {
		if it.job == j && !it.left {
			inQueue = true
		}
	}
	m["inQueue"] = inQueue
	m["nextBuildNumber"] = j.nextBuild
	m["queueItem"] = nil
	if first := s.firstQueueItem(j); first != nil {
		m["queueItem"] = s.queueJSON(r, first)
	}
	m["builds"] = s.buildsJSON(r, j)
	var props []any
	if len(j.Parameters) > 0 {
		var defs []any
		for _, d := range j.Parameters {
			defs = append(defs, map[string]any{"_class": "hudson.model.StringParameterDefinition", "name": d.Name,
				"defaultParameterValue": map[string]any{"_class": "hudson.model.StringParameterValue", "name": d.Name, "value": d.Default}, "type": "StringParameterDefinition"})
		}
		props = append(props, map[string]any{"_class": "hudson.model.ParametersDefinitionProperty", "parameterDefinitions": defs})
	}
	m["property"] = props
	return m
}

// buildStatus returns whether b is still building and its result ("" while
// building).
func (s *Server) buildStatus(b *build) (bool, string) {
	if b.stopped {
		return false, "ABORTED"
	}
	if s.now().Sub(b.start) < b.duration {
		return true, ""
	}
	return false, b.result
}

// consoleText returns the console of b as far as it has been written: text,
// then gen bytes of the generated log (GeneratedLog), then tail; and
// whether it is complete.
func (s *Server) consoleText(b *build) (text string, gen int64, tail string, done bool) {
	var out strings.Builder
	out.WriteString("Started by remote host 127.0.0.1\r\n")
	elapsed := s.now().Sub(b.start)
	building, result := s.buildStatus(b)
	frac := 1.0
	if building && b.duration > 0 {
		frac = float64(elapsed) / float64(b.duration)
	}
	if b.stopped {
		frac = min(1, float64(b.stopAt.Sub(b.start))/float64(max(b.duration, 1)))
	}
	if size := b.job.Build.LogSize; size > 0 {
		gen = min(size, int64(float64(size)*frac))
	} else {
		n := min(len(b.chunks), int(float64(len(b.chunks))*frac))
		for _, c := range b.chunks[:n] {
			out.WriteString(c)
		}
	}
	if building || (!b.stopped && s.now().Sub(b.start) < b.duration+b.job.Build.LogLag) {
		return out.String(), gen, "", false
	}
	if b.stopped {
		tail = "Aborted by " + b.stopBy + "\r\n"
	}
	tail += "Finished: " + result + "\r\n"
	return out.String(), gen, tail, true
}

func (s *Server) routeBuild(w http.ResponseWriter, r *http.Request, c caller, b *build, rest []string) {
	switch {
	case len(rest) == 0 || (len(rest) == 2 && rest[0] == "api" && rest[1] == "json"):
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		building, result := s.buildStatus(b)
		var res any
		if result != "" {
			res = result
		}
		dur := int64(0)
		if !building {
			if b.stopped {
				dur = b.stopAt.Sub(b.start).Milliseconds()
			} else {
				dur = b.duration.Milliseconds()
			}
		}
		est := int64(-1)
		switch {
		case b.job.Build.EstimatedDuration != 0:
			est = max(-1, b.job.Build.EstimatedDuration.Milliseconds())
		case b.number > 1:
			est = b.job.Build.Duration.Milliseconds()
		}
		var params []any
		for k, v := range b.params {
			params = append(params, map[string]any{"_class": "hudson.model.StringParameterValue", "name": k, "value": v})
		}
		writeJSON(w, map[string]any{
			"_class":            s.buildClass(b.job),
			"actions":           []any{map[string]any{"_class": "hudson.model.ParametersAction", "parameters": params}, map[string]any{}},
			"building":          building,
			"result":            res,
			"duration":          dur,
			"estimatedDuration": est,
			"number":            b.number,
			"id":                strconv.Itoa(b.number),
			"queueId":           b.queueID,
			"timestamp":         b.start.UnixMilli(),
			"displayName":       "#" + strconv.Itoa(b.number),
			"fullDisplayName":   strings.ReplaceAll(b.job.FullName, "/", " » ") + " #" + strconv.Itoa(b.number),
			"url":               s.buildURL(r, b),
			"inProgress":        building,
			"description":       description(b.job.Build.Description),
			"artifacts":         artifactsJSON(b.job.Build.Artifacts),
		})
	case len(rest) == 3 && rest[0] == "testReport" && rest[1] == "api" && rest[2] == "json":
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		if b.job.Build.TestReport == "" {
			testReportNotFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		fmt.Fprint(w, b.job.Build.TestReport)
	case len(rest) == 2 && rest[0] == "wfapi" && rest[1] == "describe":
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		if b.job.Build.Stages == "" {
			jenkinsNotFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprint(w, b.job.Build.Stages)
	case len(rest) >= 2 && rest[0] == "artifact":
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		content, ok := b.job.Build.Artifacts[strings.Join(rest[1:], "/")]
		if !ok {
			jenkinsNotFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		// In chunks through one buffer, so that the server side of a
		// benchmark does not allocate the artifact's size.
		buf := make([]byte, 32<<10)
		for off := 0; off < len(content); {
			n := copy(buf, content[off:])
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			off += n
		}
	case len(rest) == 2 && rest[0] == "logText" && rest[1] == "progressiveText":
		if !methodIs(w, r, http.MethodGet) {
			return
		}
		text, gen, tail, done := s.consoleText(b)
		size := int64(len(text)) + gen + int64(len(tail))
		start, err := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
		if err != nil || start < 0 || start > size {
			start = 0 // Jenkins sends the whole log again
		}
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		w.Header().Set("X-Text-Size", strconv.FormatInt(size, 10))
		if !done {
			w.Header().Set("X-More-Data", "true")
		}
		writeConsole(w, text, gen, tail, start)
	case len(rest) == 1 && rest[0] == "stop":
		if !methodIs(w, r, http.MethodPost) {
			return
		}
		if !s.can(c, PermCancel) {
			s.forbidden(w, c, PermCancel)
			return
		}
		if building, _ := s.buildStatus(b); building {
			b.stopped, b.stopAt, b.stopBy = true, s.now(), c.name
			if b.stopBy == "" {
				b.stopBy = "anonymous"
			}
		}
		w.Header().Set("Location", s.buildURL(r, b))
		w.WriteHeader(http.StatusFound)
	default:
		jenkinsNotFound(w)
	}
}

// ---- responses ----

func description(d string) any {
	if d == "" {
		return nil
	}
	return d
}

// artifactsJSON lists artifacts as the build JSON does, sorted by path.
func artifactsJSON(files map[string]string) []any {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]any, 0, len(paths))
	for _, p := range paths {
		out = append(out, map[string]any{"displayPath": p[strings.LastIndex(p, "/")+1:], "fileName": p[strings.LastIndex(p, "/")+1:], "relativePath": p})
	}
	return out
}

// testReportNotFound is what Jenkins answers for the test report of a build
// that published none: a 404 with a tiny meta-refresh page, not the usual
// error page.
func testReportNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<html><head><meta http-equiv='refresh' content='1;url=..'/><script id='redirect' data-redirect-url='..' src='/static/bdac80ca/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>\nNot found\n<!--\n-->\n</body></html>")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// jettyError writes a Jetty 12 style error page, as Jenkins does for 401,
// 403 "No valid crumb" and other servlet-level errors.
func jettyError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
	w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
	w.WriteHeader(code)
	m := html.EscapeString(msg)
	fmt.Fprintf(w, `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error %d %s</title>
</head>
<body><h2>HTTP ERROR %d %s</h2>
<table>
<tr><th>URI:</th><td>/</td></tr>
<tr><th>STATUS:</th><td>%d</td></tr>
<tr><th>MESSAGE:</th><td>%s</td></tr>
<tr><th>SERVLET:</th><td>Stapler</td></tr>
</table>
<hr/><a href="https://jetty.org/">Powered by Jetty:// 12.1.5</a><hr/>
</body>
</html>
`, code, m, code, m, code, m)
}

// jenkinsPage writes a Jenkins (Stapler) error page: a full HTML page with
// the message in the error description.
func jenkinsPage(w http.ResponseWriter, code int, title, msg string) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>%s - Jenkins</title><script src="/static/x/behavior.js"></script></head>
<body><div id="page-header">Jenkins</div><div id="main-panel"><h1>%s</h1><div id="error-description"><p>%s</p></div></div></body></html>
`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

func jenkinsNotFound(w http.ResponseWriter) {
	jenkinsPage(w, http.StatusNotFound, "Not Found", "Not Found")
}
