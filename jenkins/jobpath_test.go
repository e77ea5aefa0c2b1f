package jenkins_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

func TestParseJobPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    jenkins.JobPath
		wantErr string
	}{
		{"deploy", jenkins.JobPath{"deploy"}, ""},
		{"/team/deploy/", jenkins.JobPath{"team", "deploy"}, ""},
		{"app/feature%2Flogin", jenkins.JobPath{"app", "feature%2Flogin"}, ""},
		{"my team/c++ ✓", jenkins.JobPath{"my team", "c++ ✓"}, ""},
		{"", nil, "empty"},
		{"a//b", nil, "empty name"},
		{"a/../b", nil, `".."`},
		{"./a", nil, `"."`},
		{"a;b", nil, "';'"},
		{"a?b", nil, "'?'"},
		{"a#b", nil, "'#'"},
		{`a\b`, nil, `'\\'`},
		{"a\nb", nil, "control"},
		{"::warning::x", nil, "':'"},
	}
	for _, tc := range cases {
		got, err := jenkins.ParseJobPath(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, jenkins.ErrInvalidJobPath) {
				t.Errorf("ParseJobPath(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseJobPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseJobURL(t *testing.T) {
	t.Parallel()
	const base = "https://ci.example.com/jenkins"
	cases := []struct {
		in      string
		want    jenkins.JobPath
		wantErr string
	}{
		{"https://ci.example.com/jenkins/job/team/job/deploy/", jenkins.JobPath{"team", "deploy"}, ""},
		{"https://CI.example.com/jenkins/job/team/job/deploy", jenkins.JobPath{"team", "deploy"}, ""},
		{"https://ci.example.com/jenkins/view/All/job/my%20job/", jenkins.JobPath{"my job"}, ""},
		{"https://ci.example.com/jenkins/job/app/job/feature%252Flogin/", jenkins.JobPath{"app", "feature%2Flogin"}, ""},
		{"https://other.example.com/jenkins/job/x/", nil, "not on the Jenkins server"},
		{"http://ci.example.com/jenkins/job/x/", nil, "not on the Jenkins server"},
		{"https://ci.example.com/job/x/", nil, "context path"},
		{"https://ci.example.com/jenkins/job/x/build", nil, "a build's or a page's"},
		{"https://ci.example.com/jenkins/job/x/12/", nil, "a build's or a page's"},
		{"https://ci.example.com/jenkins/job/x/?token=abc", nil, "query"},
		{"https://u:pw@ci.example.com/jenkins/job/x/", nil, "user name or password"},
		{"https://ci.example.com/jenkins/job/%2E%2E/", nil, `".."`},
		{"https://ci.example.com/jenkins/", nil, "names no job"},
	}
	for _, tc := range cases {
		got, err := jenkins.ParseJobURL(base, tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseJobURL(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "pw@")) {
				t.Errorf("error leaks a secret: %v", err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseJobURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
