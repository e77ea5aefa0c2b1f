package jenkins

import (
	"slices"
	"strings"
	"testing"
)

// The parsers read user input straight from a workflow: whatever it is,
// they return an error or a value that survives a round trip, and never
// panic. Run one with
//
//	go test -run '^$' -fuzz FuzzParseJobPath -fuzztime 30s ./jenkins

func FuzzParseJobPath(f *testing.F) {
	for _, s := range []string{"team/deploy", "app/feature%2Flogin", "a//b", "../x", ".", "a b/ c", "x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fullName string) {
		p, err := ParseJobPath(fullName)
		if err != nil {
			return
		}
		if len(p) == 0 {
			t.Fatalf("ParseJobPath(%q) = empty path, no error", fullName)
		}
		again, err := ParseJobPath(p.String())
		if err != nil || !slices.Equal(p, again) {
			t.Fatalf("ParseJobPath(%q).String() = %q does not parse back: %v, %v", fullName, p.String(), again, err)
		}
	})
}

func FuzzParseParameters(f *testing.F) {
	for _, s := range []string{"BRANCH=main\nNOTE=a=b, c", `{"A": 1, "B": true, "C": "x"}`, "=x", "A", "{", `{"A": [1]}`, "A=1\r\nB=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ps, err := ParseParameters(text)
		if err != nil {
			return
		}
		for _, p := range ps {
			if strings.TrimSpace(p.Name) == "" {
				t.Fatalf("ParseParameters(%q) gave a parameter without a name: %+v", text, ps)
			}
		}
	})
}
