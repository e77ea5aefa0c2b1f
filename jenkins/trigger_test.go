package jenkins_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

const (
	testUser     = "alice"
	testPassword = "p4ssw0rd-not-a-token"
	testToken    = "11aaaabbbbccccddddeeeeffff00001111" // "11" + 32 hex, as Jenkins makes them
	legacyToken  = "0123456789abcdef0123456789abcdef"
)

func newFake(t *testing.T, opts ...jenkinstest.Option) *jenkinstest.Server {
	t.Helper()
	s := jenkinstest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// quickRetries retries three times without waiting, so tests of transient
// faults take no time.
var quickRetries = jenkins.BackoffFunc(func(retry int) (time.Duration, bool) { return 0, retry <= 3 })

func newClient(t *testing.T, base string, opts ...jenkins.Option) *jenkins.Client {
	t.Helper()
	c, err := jenkins.New(base, append([]jenkins.Option{jenkins.WithBackoff(quickRetries)}, opts...)...)
	if err != nil {
		t.Fatalf("New(%q): %v", base, err)
	}
	return c
}

func mustJob(t *testing.T, s string) jenkins.JobPath {
	t.Helper()
	p, err := jenkins.ParseJobPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// posts returns the POSTs the fake saw, as "path status".
func posts(s *jenkinstest.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost {
			out = append(out, r.Path)
		}
	}
	return out
}

func TestTriggerAuthAndCrumb(t *testing.T) {
	t.Parallel()
	plain := jenkinstest.Job{FullName: "plain"}
	cases := []struct {
		name       string
		server     []jenkinstest.Option
		user, pass string
		wantReqs   int // requests the trigger made
		wantCrumbs int // crumb fetches
		wantPosts  int
	}{
		{
			name:   "api token needs no crumb: one request",
			server: []jenkinstest.Option{jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithAPIToken(testUser, testToken)},
			user:   testUser, pass: testToken,
			wantReqs: 1, wantCrumbs: 0, wantPosts: 1,
		},
		{
			name:   "legacy 32-hex api token needs no crumb",
			server: []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, legacyToken)},
			user:   testUser, pass: legacyToken,
			wantReqs: 1, wantCrumbs: 0, wantPosts: 1,
		},
		{
			name:   "password: crumb with its session cookie, then the POST",
			server: []jenkinstest.Option{jenkinstest.WithUser(testUser, testPassword)},
			user:   testUser, pass: testPassword,
			wantReqs: 2, wantCrumbs: 1, wantPosts: 1,
		},
		{
			name:   "password shaped like a token: refused POST, crumb, POST again",
			server: []jenkinstest.Option{jenkinstest.WithUser(testUser, testToken)},
			user:   testUser, pass: testToken,
			wantReqs: 3, wantCrumbs: 1, wantPosts: 2,
		},
		{
			name:   "jenkins 1.x crumb field .crumb",
			server: []jenkinstest.Option{jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithCrumbField(".crumb")},
			user:   testUser, pass: testPassword,
			wantReqs: 2, wantCrumbs: 1, wantPosts: 1,
		},
		{
			name:   "csrf off: the issuer's 404 means no crumb",
			server: []jenkinstest.Option{jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithCSRF(false)},
			user:   testUser, pass: testPassword,
			wantReqs: 2, wantCrumbs: 1, wantPosts: 1,
		},
		{
			name:     "anonymous with build permission gets a crumb",
			server:   []jenkinstest.Option{jenkinstest.WithAnonymous(jenkinstest.AllPermissions...)},
			wantReqs: 2, wantCrumbs: 1, wantPosts: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, append(tc.server, jenkinstest.WithJob(plain))...)
			var opts []jenkins.Option
			if tc.user != "" {
				opts = append(opts, jenkins.WithBasicAuth(tc.user, tc.pass))
			}
			c := newClient(t, srv.URL, opts...)
			q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err != nil {
				t.Fatalf("Trigger: %v", err)
			}
			if q.StatusCode != 201 || q.ID != 1 || q.URL != srv.URL+"/queue/item/1/" {
				t.Errorf("got %+v, want 201, id 1, %s/queue/item/1/", q, srv.URL)
			}
			if q.Requests != tc.wantReqs {
				t.Errorf("Requests = %d, want %d", q.Requests, tc.wantReqs)
			}
			if got := len(srv.Requests()); got != tc.wantReqs {
				t.Errorf("server saw %d requests, want %d: %v", got, tc.wantReqs, srv.Requests())
			}
			if got := srv.CountRequests("GET", "/crumbIssuer/api/json"); got != tc.wantCrumbs {
				t.Errorf("crumb fetches = %d, want %d", got, tc.wantCrumbs)
			}
			if got := len(posts(srv)); got != tc.wantPosts {
				t.Errorf("POSTs = %d, want %d", got, tc.wantPosts)
			}
			if got := len(srv.QueueItems()); got != 1 {
				t.Errorf("queue items = %d, want exactly 1", got)
			}
		})
	}
}

// A crumb without its session cookie is worthless: a client that drops the
// cookie must fail against the fake, as against Jenkins.
func TestFakeRejectsCrumbWithoutSessionCookie(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	req, _ := http.NewRequest("GET", srv.URL+"/crumbIssuer/api/json", nil)
	req.SetBasicAuth(testUser, testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var crumb struct{ Crumb, CrumbRequestField string }
	if err := decodeJSON(resp, &crumb); err != nil {
		t.Fatal(err)
	}
	post, _ := http.NewRequest("POST", srv.URL+"/job/plain/build", nil)
	post.SetBasicAuth(testUser, testPassword)
	post.Header.Set(crumb.CrumbRequestField, crumb.Crumb)
	resp, err = http.DefaultClient.Do(post) // no cookie jar: the session is lost
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST with crumb but without session cookie: %d, want 403", resp.StatusCode)
	}
	if n := len(srv.QueueItems()); n != 0 {
		t.Fatalf("a refused POST queued %d items", n)
	}
}

func TestTriggerEndpointAndParameters(t *testing.T) {
	t.Parallel()
	params := []jenkinstest.ParameterDefinition{{Name: "BRANCH", Default: "develop"}, {Name: "NOTE", Default: "none"}}
	cases := []struct {
		name         string
		job          jenkinstest.Job
		params       string
		wantEndpoint string
		wantPosts    int
		wantParams   map[string]string
	}{
		{"no parameters, plain job", jenkinstest.Job{FullName: "plain"}, "", "build", 1, map[string]string{}},
		{"no parameters, parameterized job: defaults", jenkinstest.Job{FullName: "p", Parameters: params}, "", "buildWithParameters", 2,
			map[string]string{"BRANCH": "develop", "NOTE": "none"}},
		{"values with = , spaces and unicode", jenkinstest.Job{FullName: "p", Parameters: params}, "BRANCH=main\nNOTE=a=b, c ✓ ü",
			"buildWithParameters", 1, map[string]string{"BRANCH": "main", "NOTE": "a=b, c ✓ ü"}},
		{"json object", jenkinstest.Job{FullName: "p", Parameters: params}, `{"BRANCH": "main", "NOTE": true}`,
			"buildWithParameters", 1, map[string]string{"BRANCH": "main", "NOTE": "true"}},
		{"undefined names are ignored by jenkins", jenkinstest.Job{FullName: "p", Parameters: params}, "OTHER=x",
			"buildWithParameters", 1, map[string]string{"BRANCH": "develop", "NOTE": "none"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(tc.job))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
			ps, err := jenkins.ParseParameters(tc.params)
			if err != nil {
				t.Fatal(err)
			}
			q, err := c.Trigger(context.Background(), mustJob(t, tc.job.FullName), jenkins.TriggerOptions{Parameters: ps})
			if err != nil {
				t.Fatalf("Trigger: %v", err)
			}
			if q.Endpoint != tc.wantEndpoint {
				t.Errorf("endpoint %s, want %s", q.Endpoint, tc.wantEndpoint)
			}
			if got := len(posts(srv)); got != tc.wantPosts {
				t.Errorf("%d POSTs, want %d: %v", got, tc.wantPosts, posts(srv))
			}
			items := srv.QueueItems()
			if len(items) != 1 {
				t.Fatalf("%d queue items, want 1", len(items))
			}
			if !equalMaps(items[0].Parameters, tc.wantParams) {
				t.Errorf("parameters %v, want %v", items[0].Parameters, tc.wantParams)
			}
			for _, r := range srv.Requests() {
				if len(r.Query) > 0 {
					t.Errorf("%s %s carries a query string %v; parameters belong in the body", r.Method, r.Path, r.Query)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTriggerJobPaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		fullName string // as Jenkins names it
		input    string // as the user writes it
		wantPath string // escaped path the POST must reach
		ctx      string
	}{
		{"folders", "team/sub/deploy", "team/sub/deploy", "/job/team/job/sub/job/deploy/build", ""},
		{"spaces and unicode", "my team/déploy ✓", "my team/déploy ✓", "/job/my%20team/job/d%C3%A9ploy%20%E2%9C%93/build", ""},
		{"plus stays literal", "c++ build", "c++ build", "/job/c++%20build/build", ""},
		{"multibranch branch", "app/feature%2Flogin", "app/feature%2Flogin", "/job/app/job/feature%252Flogin/build", ""},
		{"context path", "team/deploy", "team/deploy", "/job/team/job/deploy/build", "/jenkins"},
		{"job URL", "team/deploy", "{{URL}}/job/team/job/deploy/", "/job/team/job/deploy/build", "/jenkins"},
		{"job URL through a view", "team/deploy", "{{URL}}/view/All/job/team/job/deploy", "/job/team/job/deploy/build", ""},
		{"multibranch job URL", "app/feature%2Flogin", "{{URL}}/job/app/job/feature%252Flogin/", "/job/app/job/feature%252Flogin/build", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(jenkinstest.Job{FullName: tc.fullName})}
			if tc.ctx != "" {
				opts = append(opts, jenkinstest.WithContextPath(tc.ctx))
			}
			srv := newFake(t, opts...)
			input := strings.ReplaceAll(tc.input, "{{URL}}", srv.URL)
			var job jenkins.JobPath
			var err error
			if strings.Contains(input, "://") {
				job, err = jenkins.ParseJobURL(srv.URL+"/", input)
			} else {
				job, err = jenkins.ParseJobPath(input)
			}
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, srv.URL+"/", jenkins.WithBasicAuth(testUser, testToken))
			if _, err := c.Trigger(context.Background(), job, jenkins.TriggerOptions{}); err != nil {
				t.Fatalf("Trigger: %v", err)
			}
			if got := posts(srv); len(got) != 1 || got[0] != tc.wantPath {
				t.Errorf("POSTs %v, want [%s]", got, tc.wantPath)
			}
		})
	}
}

func TestTriggerBuildToken(t *testing.T) {
	t.Parallel()
	const buildToken = "build-token-value-7f3a"
	job := jenkinstest.Job{FullName: "remote", BuildToken: buildToken, Parameters: []jenkinstest.ParameterDefinition{{Name: "X"}}}
	cases := []struct {
		name    string
		server  []jenkinstest.Option
		auth    []jenkins.Option
		token   string
		wantErr error
	}{
		{"with an api token user lacking Build", []jenkinstest.Option{jenkinstest.WithUser("bob", "pw", jenkinstest.PermOverallRead, jenkinstest.PermItemRead), jenkinstest.WithAPIToken("bob", testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth("bob", testToken)}, buildToken, nil},
		{"anonymous with read access", []jenkinstest.Option{jenkinstest.WithAnonymous(jenkinstest.PermOverallRead, jenkinstest.PermItemRead)},
			nil, buildToken, nil},
		{"wrong token is 403", []jenkinstest.Option{jenkinstest.WithAnonymous(jenkinstest.PermOverallRead, jenkinstest.PermItemRead)},
			nil, "wrong", jenkins.ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, append(tc.server, jenkinstest.WithJob(job))...)
			c := newClient(t, srv.URL, tc.auth...)
			_, err := c.Trigger(context.Background(), mustJob(t, "remote"), jenkins.TriggerOptions{BuildToken: tc.token, Parameters: jenkins.Parameters{{Name: "X", Value: "1"}}})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for _, r := range srv.Requests() {
				if r.Query.Get("token") != "" {
					t.Errorf("the build token went into the URL of %s %s", r.Method, r.Path)
				}
			}
			if tc.wantErr == nil && len(srv.QueueItems()) != 1 {
				t.Errorf("want one queue item, got %v", srv.QueueItems())
			}
			if err != nil && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error shows the build token: %v", err)
			}
		})
	}
}

func TestTriggerMergeAnswers(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 201, 303} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithMergeStatus(status),
				jenkinstest.WithJob(jenkinstest.Job{FullName: "p", Parameters: []jenkinstest.ParameterDefinition{{Name: "A"}}}))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
			opts := jenkins.TriggerOptions{Parameters: jenkins.Parameters{{Name: "A", Value: "1"}}}
			first, err := c.Trigger(context.Background(), mustJob(t, "p"), opts)
			if err != nil {
				t.Fatal(err)
			}
			second, err := c.Trigger(context.Background(), mustJob(t, "p"), opts)
			if err != nil {
				t.Fatalf("merged trigger: %v", err)
			}
			if second.StatusCode != status || second.ID != first.ID || second.URL != first.URL {
				t.Errorf("merge answer %+v, want status %d and the first item %d", second, status, first.ID)
			}
			if second.Merged != (status != 201) {
				t.Errorf("Merged = %v for %d", second.Merged, status)
			}
			for _, r := range srv.Requests() {
				if r.Method == "GET" {
					t.Errorf("the client followed the merge answer: GET %s", r.Path)
				}
			}
			if n := len(srv.QueueItems()); n != 1 {
				t.Errorf("%d queue items, want 1", n)
			}
		})
	}
}

// Behind a proxy Jenkins may name another host in Location; the queue URL
// must stay on the configured URL.
func TestTriggerQueueURLOnConfiguredBase(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithContextPath("/ci"),
		jenkinstest.WithRootURL("http://jenkins-internal.corp:8080/ci"), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/queue/item/1/"; q.URL != want {
		t.Errorf("queue URL %s, want %s", q.URL, want)
	}
}

func TestTriggerErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		server   []jenkinstest.Option
		auth     []jenkins.Option
		job      string
		params   jenkins.Parameters
		want     error
		status   int
		contains []string
	}{
		{"bad token is 401", []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth(testUser, "11ffffffffffffffffffffffffffffffff")}, "plain", nil,
			jenkins.ErrUnauthorized, 401, []string{"401", "/job/plain/build"}},
		{"bad password is 401 at the crumb", []jenkinstest.Option{jenkinstest.WithUser(testUser, testPassword)},
			[]jenkins.Option{jenkins.WithBasicAuth(testUser, "wrong password")}, "plain", nil,
			jenkins.ErrUnauthorized, 401, []string{"crumb", "401"}},
		{"missing build permission is 403 with the permission", []jenkinstest.Option{jenkinstest.WithUser("bob", "x", jenkinstest.PermOverallRead, jenkinstest.PermItemRead), jenkinstest.WithAPIToken("bob", testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth("bob", testToken)}, "plain", nil,
			jenkins.ErrForbidden, 403, []string{"hudson.model.Item.Build", "bob"}},
		{"anonymous without read is 403, not 401", nil, nil, "plain", nil,
			jenkins.ErrForbidden, 403, []string{"hudson.model.Hudson.Read", "Authentication required"}},
		{"no such job is 404", []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth(testUser, testToken)}, "nope", nil,
			jenkins.ErrNotFound, 404, []string{"/job/nope/build"}},
		{"job the user may not read is 404", []jenkinstest.Option{jenkinstest.WithUser("bob", "x", jenkinstest.PermOverallRead), jenkinstest.WithAPIToken("bob", testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth("bob", testToken)}, "plain", nil,
			jenkins.ErrNotFound, 404, nil},
		{"disabled job is 409", []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "off", Disabled: true})},
			[]jenkins.Option{jenkins.WithBasicAuth(testUser, testToken)}, "off", nil,
			jenkins.ErrConflict, 409, []string{"off is not buildable"}},
		{"parameters to a plain job: jenkins' 400 message", []jenkinstest.Option{jenkinstest.WithAPIToken(testUser, testToken)},
			[]jenkins.Option{jenkins.WithBasicAuth(testUser, testToken)}, "plain", jenkins.Parameters{{Name: "A", Value: "1"}},
			nil, 400, []string{"plain is not parameterized"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, append(tc.server, jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))...)
			c := newClient(t, srv.URL, tc.auth...)
			_, err := c.Trigger(context.Background(), mustJob(t, tc.job), jenkins.TriggerOptions{Parameters: tc.params})
			if err == nil {
				t.Fatal("Trigger succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.want)
			}
			var jerr *jenkins.Error
			if !errors.As(err, &jerr) || jerr.StatusCode != tc.status {
				t.Fatalf("err = %#v, want *jenkins.Error with status %d", err, tc.status)
			}
			msg := err.Error()
			for _, s := range tc.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			if strings.Contains(msg, "<") {
				t.Errorf("error contains HTML: %q", msg)
			}
			if len(srv.QueueItems()) != 0 {
				t.Errorf("a failed trigger queued a build")
			}
		})
	}
}

func TestTriggerNetworkErrors(t *testing.T) {
	t.Parallel()
	closed := newFake(t)
	closedURL := closed.URL
	closed.Close()
	tlsSrv := jenkinstest.NewTLSServer(jenkinstest.WithAnonymous(jenkinstest.AllPermissions...), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	t.Cleanup(tlsSrv.Close)
	cases := []struct {
		name string
		url  string
		want string
	}{
		{"connection refused", closedURL, "connection refused"},
		{"dns failure", "http://no-such-host.invalid", "no-such-host.invalid"},
		{"untrusted certificate", tlsSrv.URL, "certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, tc.url, jenkins.WithBasicAuth(testUser, testToken))
			_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if !jenkins.IsNetworkError(err) {
				t.Errorf("IsNetworkError(%v) = false", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token")
			}
		})
	}
}

func TestTriggerSendsUserAgentAndNoRedirectFollow(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken), jenkins.WithUserAgent("jenkins-trigger/test"))
	if _, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if ua := r.Header.Get("User-Agent"); ua != "jenkins-trigger/test" {
			t.Errorf("User-Agent %q", ua)
		}
	}
}

func TestSecretHandlerSeesCrumbAndCookie(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	var secrets []string
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword), jenkins.WithSecretHandler(func(s string) { secrets = append(secrets, s) }))
	if _, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var post jenkinstest.Request
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			post = r
		}
	}
	crumb := post.Header.Get("Jenkins-Crumb")
	cookie := post.Header.Get("Cookie")
	_, cookieValue, _ := strings.Cut(cookie, "=")
	if crumb == "" || cookieValue == "" {
		t.Fatalf("POST carried crumb %q and cookie %q, want both", crumb, cookie)
	}
	want := map[string]bool{testPassword: false, crumb: false, cookieValue: false}
	for _, s := range secrets {
		if _, ok := want[s]; ok {
			want[s] = true
		}
	}
	for s, seen := range want {
		if !seen {
			t.Errorf("secret %.6s… was not reported to the secret handler", s)
		}
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                                     "empty",
		"ci.example.com":                       "https://",
		"ftp://ci.example.com":                 "https://",
		"https://":                             "host",
		"https://alice:secret@ci.example.com/": "user name or password",
		"https://ci.example.com/?x=1":          "query",
		"https://ci.example.com/#top":          "fragment",
		"https://ci.example.com/a/../b":        "..",
		"https://ci.example.com/a;b":           ";",
		"https://ci example.com":               "valid URL",
		"http://u:p%zzsecret@h/":               "user name or password",
		"https://ci.example.com:99999/":        "invalid port",
		"https://ci.example.com/a//b":          "empty path segment",
		"https://ci.example.com/job/team/":     "looks like a job's URL",
	}
	for raw, want := range cases {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			_, err := jenkins.New(raw)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("New(%q) = %v, want an error mentioning %q", raw, err, want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestBaseURLKeepsContextPath(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"https://ci.example.com/jenkins", "https://ci.example.com/jenkins/"} {
		c := newClient(t, raw)
		if got, want := c.BaseURL(), "https://ci.example.com/jenkins/"; got != want {
			t.Errorf("BaseURL(%q) = %q, want %q", raw, got, want)
		}
		if got, want := c.JobURL(mustJob(t, "app/feature%2Flogin")), "https://ci.example.com/jenkins/job/app/job/feature%252Flogin/"; got != want {
			t.Errorf("JobURL = %q, want %q", got, want)
		}
		if got, want := c.QueueItemURL(42), "https://ci.example.com/jenkins/queue/item/42/"; got != want {
			t.Errorf("QueueItemURL = %q, want %q", got, want)
		}
	}
	_ = url.URL{}
}

// Jenkins answers 302 to the job page when a queue decision handler refused
// the build (and did so for every buildWithParameters around 2014): no queue
// item, nothing to follow, and nothing to send again.
func TestTriggerFoundWithoutQueueItem(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}),
		jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					w.Header().Set("Location", "http://jenkins.example.com/job/plain/")
					w.WriteHeader(http.StatusFound)
					return
				}
				next.ServeHTTP(w, r)
			})
		}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q.StatusCode != http.StatusFound || q.ID != 0 || q.URL != "" {
		t.Errorf("got %+v, want 302 without a queue item", q)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no redirect followed, no retry)", n)
	}
}

func answerPOST(status int, location string) jenkinstest.Option {
	return jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				next.ServeHTTP(w, r)
				return
			}
			if location != "" {
				w.Header().Set("Location", location)
			}
			w.WriteHeader(status)
		})
	})
}

func TestTriggerAnswersThatAreNotQueueItems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		location string
		wantErr  string
		wantCode int
	}{
		{"sso redirect is not success", 302, "https://sso.example.com/login?next=/job/plain/build", "not a queue item", 0},
		{"303 elsewhere is not success", 303, "/login", "not a queue item", 0},
		{"200 login page is not success", 200, "", "without a queue item location", 0},
		{"201 without Location is still queued", 201, "", "", 201},
		{"201 with a strange Location is still queued", 201, "http://x/whatever/", "", 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}), answerPOST(tc.status, tc.location))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
			q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || q.StatusCode != tc.wantCode || q.ID != 0 {
				t.Fatalf("got %+v, %v; want status %d and no queue id", q, err, tc.wantCode)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// A crumb issuer that answers 404 while the CSRF filter wants a crumb means
// the URL is not the Jenkins root; say so instead of blaming the session.
func TestTriggerCrumbIssuerMissingButCrumbRequired(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}),
		jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/crumbIssuer") {
					http.NotFound(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if !errors.Is(err, jenkins.ErrNoCrumbIssuer) || !errors.Is(err, jenkins.ErrNoCrumb) {
		t.Fatalf("err = %v, want ErrNoCrumbIssuer wrapping the 403", err)
	}
	if n := len(posts(srv)); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
}

// Once a token-shaped secret turned out to need a crumb, the crumb is kept
// for the next POST instead of being refused and fetched again.
func TestTriggerReusesCrumbAfterTokenShapedPassword(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testToken),
		jenkinstest.WithJob(jenkinstest.Job{FullName: "p", Parameters: []jenkinstest.ParameterDefinition{{Name: "A", Default: "x"}}}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	q, err := c.Trigger(context.Background(), mustJob(t, "p"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// POST /build 403, crumb, POST /build 400, POST /buildWithParameters 201.
	if q.Requests != 4 || len(srv.Requests()) != 4 || srv.CountRequests("GET", "/crumbIssuer/api/json") != 1 {
		t.Errorf("Requests = %d, server saw %v; want 4 requests and one crumb", q.Requests, srv.Requests())
	}
}

func TestTriggerRefusesParameterNamedTokenWithBuildToken(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithAnonymous(jenkinstest.AllPermissions...), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	c := newClient(t, srv.URL)
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{BuildToken: "bt", Parameters: jenkins.Parameters{{Name: "token", Value: "mine"}}})
	if !errors.Is(err, jenkins.ErrInvalidParameters) {
		t.Fatalf("err = %v, want ErrInvalidParameters", err)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("requests were sent: %v", srv.Requests())
	}
}

// An error page that echoes a secret back must not show it, even when the
// message is cut, folded or the secret arrives encoded.
func TestErrorsRedactEchoedSecrets(t *testing.T) {
	t.Parallel()
	const password = "pw  SECRET/double+x=y"
	const buildToken = "bt/SECRET+x=y"
	bodies := map[string]string{
		"cut at the limit": strings.Repeat("x", 290) + " " + password,
		"folded spaces":    "bad password " + password,
		"url-encoded":      "rejected token=" + url.QueryEscape(buildToken),
		"html entities":    "<html><head><title>Error 500 token " + strings.ReplaceAll(buildToken, "+", "&#43;") + "</title></head></html>",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithUser(testUser, password), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain", BuildToken: buildToken}),
				jenkinstest.WithMiddleware(func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.Method == http.MethodPost {
							w.Header().Set("Content-Type", "text/plain")
							w.WriteHeader(http.StatusInternalServerError)
							_, _ = w.Write([]byte(body))
							return
						}
						next.ServeHTTP(w, r)
					})
				}))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, password))
			_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{BuildToken: buildToken})
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			for _, leak := range []string{"SECRET", "pw SECRET", "pw-SEC", url.QueryEscape(buildToken)} {
				if strings.Contains(msg, leak) {
					t.Errorf("error shows %q: %s", leak, msg)
				}
			}
		})
	}
}
