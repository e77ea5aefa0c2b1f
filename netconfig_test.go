package main

import (
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins/jenkinstest"
)

const tlsToken = "11aaaabbbbccccddddeeeeffff00002222"

// tlsFake starts a fake Jenkins on HTTPS and returns it with the PEM of its
// self-signed certificate, which is its own CA.
func tlsFake(t *testing.T) (*jenkinstest.Server, string) {
	t.Helper()
	srv := jenkinstest.NewTLSServer(jenkinstest.WithAPIToken("alice", tlsToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}))
	t.Cleanup(srv.Close)
	return srv, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate()}))
}

func tlsVars(srv *jenkinstest.Server, extra map[string]string) map[string]string {
	v := map[string]string{"INPUT_URL": srv.URL, "INPUT_JOB": "plain", "INPUT_USER": "alice", "INPUT_TOKEN": tlsToken}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

func TestCACert(t *testing.T) {
	t.Parallel()
	srv, caPEM := tlsFake(t)
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "certs", "jenkins-ca.pem"), []byte(caPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(outside, []byte(caPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "certs", "link.pem")); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO blocks until a writer comes: it must be refused unread.
	if err := syscall.Mkfifo(filepath.Join(ws, "certs", "fifo.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vars map[string]string
		code int
		want string
	}{
		{"no ca-cert: untrusted", nil, exitFailure, "certificate signed by unknown authority"},
		{"PEM text", map[string]string{"INPUT_CA-CERT": caPEM}, exitOK, "Queued as"},
		{"path in the workspace", map[string]string{"INPUT_CA-CERT": "certs/jenkins-ca.pem", "GITHUB_WORKSPACE": ws}, exitOK, "Queued as"},
		{"absolute path in the workspace", map[string]string{"INPUT_CA-CERT": filepath.Join(ws, "certs/jenkins-ca.pem"), "GITHUB_WORKSPACE": ws}, exitOK, "Queued as"},
		{"missing file", map[string]string{"INPUT_CA-CERT": "certs/nope.pem", "GITHUB_WORKSPACE": ws}, exitConfig, "there is no file " + filepath.Join(ws, "certs/nope.pem")},
		{"path outside the workspace", map[string]string{"INPUT_CA-CERT": "../ca.pem", "GITHUB_WORKSPACE": ws}, exitConfig, "is outside the workspace"},
		{"absolute path outside the workspace", map[string]string{"INPUT_CA-CERT": outside, "GITHUB_WORKSPACE": ws}, exitConfig, "is outside the workspace"},
		{"symlink out of the workspace", map[string]string{"INPUT_CA-CERT": "certs/link.pem", "GITHUB_WORKSPACE": ws}, exitConfig, "links to a file outside the workspace"},
		{"a fifo", map[string]string{"INPUT_CA-CERT": "certs/fifo.pem", "GITHUB_WORKSPACE": ws}, exitConfig, "is not a regular file"},
		{"not a certificate", map[string]string{"INPUT_CA-CERT": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}, exitConfig, "no certificate in the ca-cert input"},
		{"broken certificate", map[string]string{"INPUT_CA-CERT": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, exitConfig, "certificate 1 in the ca-cert input cannot be parsed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runScenario(t, true, tlsVars(srv, tc.vars))
			if res.code != tc.code || !strings.Contains(res.stdout, tc.want) {
				t.Errorf("exit code %d, want %d, and output mentioning %q:\n%s", res.code, tc.code, tc.want, res.stdout)
			}
		})
	}
}

func TestInsecureWarnsEveryRun(t *testing.T) {
	t.Parallel()
	srv, _ := tlsFake(t)
	for i := range 2 {
		res := runScenario(t, true, tlsVars(srv, map[string]string{"INPUT_INSECURE": "true"}))
		if res.code != exitOK {
			t.Fatalf("run %d: exit code %d:\n%s", i+1, res.code, res.stdout)
		}
		if !strings.Contains(res.stdout, "::warning::insecure is set") {
			t.Errorf("run %d printed no warning:\n%s", i+1, res.stdout)
		}
	}
}

func TestDefaultTransportUsesProxyFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ca       string
		insecure bool
	}{{"", false}, {"", true}} {
		tr, err := newTransport(nil, tc.ca, tc.insecure, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if reflect.ValueOf(tr.Proxy).Pointer() != reflect.ValueOf(http.ProxyFromEnvironment).Pointer() {
			t.Errorf("the transport does not take HTTPS_PROXY/NO_PROXY from the environment")
		}
	}
	if c := http.DefaultTransport.(*http.Transport).TLSClientConfig; c != nil && c.InsecureSkipVerify {
		t.Errorf("newTransport changed http.DefaultTransport")
	}
}

// connectProxy is a loopback HTTP proxy that tunnels CONNECT requests and
// records their targets.
type connectProxy struct {
	mu      sync.Mutex
	targets []string
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buf); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, upstream); done <- struct{}{} }()
	<-done
	conn.Close()
	upstream.Close()
}

func TestHTTPSProxyWithPrivateCA(t *testing.T) {
	t.Parallel()
	srv, caPEM := tlsFake(t)
	proxy := &connectProxy{}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	proxyURL, _ := url.Parse(ps.URL)
	// The transport a runner with HTTPS_PROXY set would have: the Proxy
	// func is injected instead of set through the process environment.
	base := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	res := runScenario(t, true, tlsVars(srv, map[string]string{"INPUT_CA-CERT": caPEM}), func(e *env) { e.transport = base })
	if res.code != exitOK {
		t.Fatalf("exit code %d:\n%s", res.code, res.stdout)
	}
	host := strings.TrimPrefix(srv.URL, "https://")
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.targets) == 0 || proxy.targets[0] != host {
		t.Errorf("proxy saw CONNECT %v, want %s", proxy.targets, host)
	}
}

// A Retry-After longer than the time the step has left fails at once with
// Jenkins' answer, instead of sleeping into the step's timeout: the step's
// deadline is a real one that the client reads.
func TestRetryAfterBeyondTheStepDeadline(t *testing.T) {
	t.Parallel()
	srv := jenkinstest.NewServer(jenkinstest.WithAPIToken("alice", secretToken), jenkinstest.WithJob(jenkinstest.Job{FullName: "plain"}),
		jenkinstest.WithFault(jenkinstest.Fault{Method: "POST", Path: "/build", Action: jenkinstest.Respond, Status: http.StatusTooManyRequests,
			Header: http.Header{"Retry-After": {"60"}}}))
	t.Cleanup(srv.Close)
	res := runScenario(t, true, map[string]string{
		"INPUT_URL": srv.URL, "INPUT_JOB": "plain", "INPUT_USER": "alice", "INPUT_TOKEN": secretToken, "INPUT_TIMEOUT": "3s",
	}, func(e *env) { e.clientOptions = nil }) // the real backoff, which honours Retry-After
	if res.code != exitFailure {
		t.Errorf("exit %d, want %d (a timeout would be %d)\n%s", res.code, exitFailure, exitTimeout, res.stdout)
	}
	if !strings.Contains(res.stdout, "429") || !strings.Contains(res.stdout, "retry after 60") {
		t.Errorf("the error does not show Jenkins' 429 and its Retry-After:\n%s", res.stdout)
	}
	if len(srv.QueueItems()) != 0 {
		t.Errorf("a build was queued")
	}
}
