package jenkins_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestFixturesMatchShared checks that testdata/jenkins-real is an unedited
// copy of the shared fixtures, where the shared folder is present (it is
// beside the repository on the project's machines, not in a clone).
func TestFixturesMatchShared(t *testing.T) {
	t.Parallel()
	shared := filepath.Join("..", "..", "shared", "fixtures", "jenkins-real")
	entries, err := os.ReadDir(shared)
	if err != nil {
		t.Skipf("no shared fixtures beside the repository: %v", err)
	}
	for _, e := range entries {
		want, err := os.ReadFile(filepath.Join(shared, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(fixtures, e.Name()))
		if err != nil {
			t.Errorf("%s is missing from %s: copy it unchanged", e.Name(), fixtures)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the shared fixture: fixtures are never edited", e.Name())
		}
	}
}
