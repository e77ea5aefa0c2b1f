package jenkins_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

// redirectOnce answers the first GET whose path ends with suffix with a
// redirect to to(r).
func redirectOnce(suffix string, code int, to func(r *http.Request) string) func(http.Handler) http.Handler {
	var done atomic.Bool
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, suffix) && !done.Swap(true) {
				http.Redirect(w, r, to(r), code)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestGETFollowsSameHostRedirect(t *testing.T) {
	t.Parallel()
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob,
		jenkinstest.WithMiddleware(redirectOnce("/crumbIssuer/api/json", http.StatusFound, func(r *http.Request) string {
			return r.URL.Path + "?redirected=1"
		})))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword))
	if _, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var followed bool
	for _, r := range srv.Requests() {
		if r.Query.Get("redirected") == "1" {
			followed = true
			if u, _, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != testUser {
				t.Errorf("the redirected GET lost its credentials")
			}
		}
	}
	if !followed {
		t.Error("the same-host redirect was not followed")
	}
}

func TestGETDoesNotFollowRedirectToAnotherHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	srv := newFake(t, jenkinstest.WithUser(testUser, testPassword), plainJob,
		jenkinstest.WithMiddleware(redirectOnce("/crumbIssuer/api/json", http.StatusFound, func(*http.Request) string {
			return other.URL + "/crumbIssuer/api/json"
		})))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testPassword))
	_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err == nil || !strings.Contains(err.Error(), "redirects to another host ("+other.URL) {
		t.Fatalf("err = %v, want it to name the other host", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host got %d requests (with the credentials)", n)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Error("error leaks the password")
	}
}

func TestPOSTNeverFollowsRedirect(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			var posts atomic.Int32
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), plainJob, jenkinstest.WithMiddleware(countPosts(&posts)),
				jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Path: "/job/plain/build", Status: code,
					Header: http.Header{"Location": {"/job/plain/build2"}}}))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
			_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err == nil || !strings.Contains(err.Error(), "redirects to "+srv.URL+"/job/plain/build2") {
				t.Fatalf("err = %v, want the redirect explained", err)
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("%d POSTs, want 1: a POST redirect must not be followed", n)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("the fake got %d requests, want only the redirected POST", n)
			}
		})
	}
}

// A Jenkins behind a proxy that sends http:// to https://: the client
// says to fix url rather than send credentials on to wherever it points.
func TestHTTPToHTTPSRedirectOfBaseURL(t *testing.T) {
	t.Parallel()
	tlsSrv := jenkinstest.NewTLSServer(jenkinstest.WithUser(testUser, testPassword), jenkinstest.WithAPIToken(testUser, testToken), plainJob)
	t.Cleanup(tlsSrv.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, tlsSrv.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(redirector.Close)
	for _, tc := range []struct{ name, secret string }{{"GET of the crumb", testPassword}, {"POST of the trigger", testToken}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, redirector.URL, jenkins.WithBasicAuth(testUser, tc.secret), jenkins.WithHTTPClient(tlsSrv.Client()))
			_, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err == nil || !strings.Contains(err.Error(), "redirects http:// to https://") || !strings.Contains(err.Error(), "use https:// in url") {
				t.Fatalf("err = %v, want a hint to fix url", err)
			}
			if n := len(tlsSrv.Requests()); n != 0 {
				t.Errorf("the https server got %d requests", n)
			}
		})
	}
}

// Behind a proxy, Jenkins names its internal host in Location headers; the
// queue URL and every follow-up stays on the configured url.
func TestInternalHostsStayOffTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		location string
	}{
		{"absolute internal Location", "http://jenkins-internal.corp:8080/ci/queue/item/77/"},
		{"relative Location (Build Token Root)", "/ci/queue/item/77/"},
		{"no trailing slash", "http://10.0.0.5/queue/item/77"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithContextPath("/ci"), plainJob,
				jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Status: http.StatusCreated, Header: http.Header{"Location": {tc.location}}}))
			c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
			q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := srv.URL + "/queue/item/77/"; q.ID != 77 || q.URL != want {
				t.Errorf("got %d %s, want 77 %s", q.ID, q.URL, want)
			}
		})
	}
	// The lost-answer check reads the job with internal URLs in the
	// payload, and still reports the queue item on the configured url.
	srv := newFake(t, jenkinstest.WithAPIToken(testUser, testToken), jenkinstest.WithContextPath("/ci"), plainJob,
		jenkinstest.WithRootURL("http://jenkins-internal.corp:8080/ci"),
		jenkinstest.WithFault(jenkinstest.Fault{Method: http.MethodPost, Action: jenkinstest.DropAfter}))
	c := newClient(t, srv.URL, jenkins.WithBasicAuth(testUser, testToken))
	q, err := c.Trigger(context.Background(), mustJob(t, "plain"), jenkins.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/queue/item/1/"; q.URL != want {
		t.Errorf("recovered queue URL %s, want %s", q.URL, want)
	}
}
