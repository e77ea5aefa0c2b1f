package jenkins_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

func TestParseParameters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		want    jenkins.Parameters
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"blank lines only", "\n  \n", nil, ""},
		{"one line", "BRANCH=main", jenkins.Parameters{{"BRANCH", "main"}}, ""},
		{"split on the first =", "NOTE=a=b, c", jenkins.Parameters{{"NOTE", "a=b, c"}}, ""},
		{"crlf, comments, blanks", "# deploy\r\nA=1\r\n\r\nB= two \r\n", jenkins.Parameters{{"A", "1"}, {"B", " two "}}, ""},
		{"empty value", "EMPTY=", jenkins.Parameters{{"EMPTY", ""}}, ""},
		{"unicode", "MSG=héllo ✓ 日本", jenkins.Parameters{{"MSG", "héllo ✓ 日本"}}, ""},
		{"json keeps order and types", `{"B": "x", "A": true, "N": 1.5, "Z": null}`,
			jenkins.Parameters{{"B", "x"}, {"A", "true"}, {"N", "1.5"}}, ""}, // null: the job's default
		{"byte order mark", "\uFEFFA=1", jenkins.Parameters{{"A", "1"}}, ""},
		{"json with = and newline in a value", `{"NOTE": "a=b\nc"}`, jenkins.Parameters{{"NOTE", "a=b\nc"}}, ""},
		{"no =", "BRANCH main", nil, "line 1 has no '='"},
		{"empty name", "=x", nil, "empty parameter name"},
		{"name with space", "MY VAR=x", nil, "space"},
		{"duplicate", "A=1\nA=2", nil, `"A" is given twice`},
		{"duplicate json", `{"A":1,"A":2}`, nil, "twice"},
		{"json array", `[{"A": 1}]`, nil, "JSON array is not accepted"},
		{"json array value", `{"A": [1,2]}`, nil, "string, number, boolean"},
		{"json trailing text", `{"A": 1} x`, nil, "after the object"},
		{"broken json", `{"A": `, nil, "JSON"},
		{"nul", "A=\x00", nil, "NUL"},
		{"invalid utf-8", "A=\xff", nil, "UTF-8"},
		{"oversized", "A=" + strings.Repeat("x", jenkins.MaxParametersSize), nil, "allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := jenkins.ParseParameters(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, jenkins.ErrInvalidParameters) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
