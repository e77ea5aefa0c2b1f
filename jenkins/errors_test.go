package jenkins_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// fixtures are the real Jenkins payloads from the project's shared folder,
// copied unchanged so that a clone runs every test on its own
// (TestFixturesMatchShared checks the copy).
const fixtures = "testdata/jenkins-real"

func TestErrorMessageFromRealPages(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"403-no-valid-crumb-jetty12.1-jenkins2.541.3.html":  "No valid crumb was included in the request",
		"403-no-valid-crumb-jetty12.0-jenkins2.479.3.html":  "No valid crumb was included in the request",
		"403-no-valid-crumb-jetty9.4-jenkins2.319.3.html":   "No valid crumb was included in the request",
		"403-no-valid-crumb-old-jetty-jenkins2.19.2.html":   "No valid crumb was included in the request",
		"401-bad-token-jetty12.1.html":                      "Unauthorized",
		"404-job-not-found-page-prefix-jenkins2.541.3.html": "Not Found",
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(fixtures, file))
			if err != nil {
				t.Fatal(err)
			}
			got := jenkins.ErrorMessage("text/html;charset=utf-8", body)
			if got != want {
				t.Errorf("ErrorMessage = %q, want %q", got, want)
			}
		})
	}
}

func TestErrorMessageOtherBodies(t *testing.T) {
	t.Parallel()
	cases := []struct{ ct, body, want string }{
		{"application/json", `{"message":"boom"}`, "boom"},
		{"text/plain", "first line\nsecond", "first line"},
		{"text/plain", "with \x1b[31mescape\x1b[0m", "with [31mescape [0m"},
		{"text/html", "<html><body><h1>Error</h1><p>Nothing is submitted</p></body></html>", "Nothing is submitted"},
		{"text/html", "<html><head><title>Oops &amp; more</title></head></html>", "Oops & more"},
		{"", "", ""},
	}
	for _, tc := range cases {
		if got := jenkins.ErrorMessage(tc.ct, []byte(tc.body)); got != tc.want {
			t.Errorf("ErrorMessage(%q, %q) = %q, want %q", tc.ct, tc.body, got, tc.want)
		}
	}
	long := strings.Repeat("x", 1000)
	if got := jenkins.ErrorMessage("text/plain", []byte(long)); len(got) > 310 {
		t.Errorf("message not shortened: %d bytes", len(got))
	}
}

func TestParseQueueLocation(t *testing.T) {
	t.Parallel()
	good := map[string]int64{
		"http://jenkins.example.com/queue/item/3901/":                3901,
		"http://example.com/jenkins/my-jenkins1/queue/item/4848912/": 4848912,
		"http://localhost:8666/jenkins/queue/item/39/":               39,
		"/jenkins/queue/item/7/":                                     7,
		"queue/item/8/":                                              8,
		"https://ci.example.com/queue/item/9":                        9,
	}
	for in, want := range good {
		got, err := jenkins.ParseQueueLocation(in)
		if err != nil || got != want {
			t.Errorf("ParseQueueLocation(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "http://jenkins.example.com/job/parameterized-test-job/", "/queue/item/abc/", "/queue/item/0/", "/queue/item/-1/", "/queue/item/+5/", "/queue/item/99999999999999999999/"} {
		if id, err := jenkins.ParseQueueLocation(in); err == nil {
			t.Errorf("ParseQueueLocation(%q) = %d, want an error", in, id)
		}
	}
}
