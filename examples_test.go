package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Inputs and outputs that the README's examples may use before action.yml
// declares them: they arrive with other branches. An entry is harmless once
// its input is declared (the test then logs it, to be removed).
var (
	pendingInputs  = map[string]string{}
	pendingOutputs = map[string]string{}
)

// ourAction matches a step that runs this action.
var ourAction = regexp.MustCompile(`^(jenkins-trigger/jenkins-trigger@\S+|\./?)$`)

// stepOutput matches a reference to a step output in an expression.
var stepOutput = regexp.MustCompile(`steps\.([A-Za-z_][\w-]*)\.outputs\.([\w-]+)`)

// yamlBlocks returns the ```yaml blocks of a Markdown file.
func yamlBlocks(md string) []string {
	var blocks []string
	var cur *strings.Builder
	for line := range strings.Lines(md) {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}

// checkWorkflow checks that a workflow gives this action only declared
// inputs and reads only declared outputs from it.
func checkWorkflow(t *testing.T, src string, inputs, outputs map[string]bool) {
	t.Helper()
	for _, p := range workflowProblems(src, inputs, outputs) {
		t.Error(p)
	}
}

// workflowProblems returns what is wrong with a workflow's use of the action.
func workflowProblems(src string, inputs, outputs map[string]bool) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var wf struct {
		On   any `yaml:"on"`
		Jobs map[string]struct {
			Uses  string
			Steps []struct {
				ID   string
				Uses string
				With map[string]any
			}
		}
	}
	if err := yaml.Unmarshal([]byte(src), &wf); err != nil {
		return []string{fmt.Sprintf("not a valid workflow: %v", err)}
	}
	if wf.On == nil || len(wf.Jobs) == 0 {
		return []string{"a workflow needs on: and jobs:"}
	}
	ids := map[string]bool{}
	for name, job := range wf.Jobs {
		if job.Uses == "" && len(job.Steps) == 0 {
			errorf("job %s has neither steps nor uses", name)
		}
		for _, st := range job.Steps {
			if !ourAction.MatchString(st.Uses) {
				continue
			}
			if st.ID != "" {
				ids[st.ID] = true
			}
			for k := range st.With {
				if !inputs[k] {
					errorf("job %s gives the action input %q, which action.yml does not declare", name, k)
				}
			}
			for _, required := range []string{"url", "job"} {
				if _, ok := st.With[required]; !ok {
					errorf("job %s: the action needs %s", name, required)
				}
			}
		}
	}
	for _, m := range stepOutput.FindAllStringSubmatch(src, -1) {
		if ids[m[1]] && !outputs[m[2]] {
			errorf("steps.%s.outputs.%s: action.yml declares no output %q", m[1], m[2], m[2])
		}
	}
	return problems
}

func declaredNames(t *testing.T) (inputs, outs map[string]bool) {
	spec := loadActionSpec(t)
	inputs, outs = map[string]bool{}, map[string]bool{}
	for _, in := range spec.Inputs {
		inputs[in.Name] = true
	}
	for _, o := range spec.Outputs {
		outs[o.Name] = true
	}
	for name, issue := range pendingInputs {
		if inputs[name] {
			t.Logf("input %s (%s) is declared now: remove it from pendingInputs", name, issue)
		}
		inputs[name] = true
	}
	for name, issue := range pendingOutputs {
		if outs[name] {
			t.Logf("output %s (%s) is declared now: remove it from pendingOutputs", name, issue)
		}
		outs[name] = true
	}
	return inputs, outs
}

func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	inputs, outs := declaredNames(t)
	blocks := yamlBlocks(string(b))
	if len(blocks) < 10 {
		t.Fatalf("found %d yaml blocks in README.md; the examples are missing or the fences changed", len(blocks))
	}
	workflows := 0
	for i, src := range blocks {
		// Every block must parse, workflows and other CI systems' files alike.
		var docs []any
		dec := yaml.NewDecoder(strings.NewReader(src))
		for {
			var d any
			if err := dec.Decode(&d); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Errorf("yaml block %d does not parse: %v\n%s", i+1, err, src)
				break
			}
			docs = append(docs, d)
		}
		m, ok := docs[0].(map[string]any)
		if len(docs) != 1 || !ok {
			continue
		}
		if _, isWorkflow := m["jobs"]; !isWorkflow {
			continue // another CI system's file
		}
		workflows++
		t.Run(strings.ReplaceAll(blockTitle(src), " ", "_"), func(t *testing.T) {
			checkWorkflow(t, src, inputs, outs)
		})
	}
	if workflows < 8 {
		t.Errorf("checked %d workflows in README.md, expected the examples (at least 8)", workflows)
	}
}

// A bare step list at the top of the README ("- uses: ...") has no steps
// key: check it as a job's steps.
func TestREADMEFirstExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	inputs, outs := declaredNames(t)
	src := yamlBlocks(string(b))[0]
	if !strings.HasPrefix(src, "- uses: ") {
		t.Skip("the README no longer opens with a bare step")
	}
	checkWorkflow(t, "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"+indent(src, "      "), inputs, outs)
}

func TestWorkflowsUseTheAction(t *testing.T) {
	t.Parallel()
	inputs, outs := declaredNames(t)
	files, _ := filepath.Glob(".github/workflows/*.yml")
	if len(files) == 0 {
		t.Fatal("no workflows")
	}
	self := 0
	pin := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			checkWorkflow(t, string(b), inputs, outs)
			for line := range bytes.Lines(b) {
				l := strings.TrimSpace(string(line))
				l = strings.TrimPrefix(l, "- ")
				u, ok := strings.CutPrefix(l, "uses: ")
				if !ok {
					continue
				}
				u, comment, _ := strings.Cut(u, " # ")
				u = strings.TrimSpace(u)
				switch {
				case u == "./":
				case !pin.MatchString(u):
					t.Errorf("%s: %q is not pinned by a full commit SHA", f, u)
				case !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(strings.TrimSpace(comment)):
					t.Errorf("%s: %q has no # vX.Y.Z comment", f, u)
				}
			}
		})
		if strings.Contains(string(b), "uses: ./\n") {
			self++
		}
	}
	if self == 0 {
		t.Error("no workflow runs the action itself with uses: ./ (actionlint checks action.yml only through one)")
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if strings.TrimSpace(line) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(line)
	}
	return b.String()
}

func blockTitle(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimPrefix(strings.TrimSpace(l), "# ")
}

func TestWorkflowProblems(t *testing.T) {
	t.Parallel()
	inputs := map[string]bool{"url": true, "job": true}
	outs := map[string]bool{"queue-id": true}
	cases := []struct {
		name, src, want string
	}{
		{name: "fine", src: "on: push\njobs:\n  a:\n    steps:\n      - id: j\n        uses: ./\n        with: {url: u, job: j}\n      - run: echo ${{ steps.j.outputs.queue-id }}\n"},
		{name: "undeclared input", src: "on: push\njobs:\n  a:\n    steps:\n      - uses: jenkins-trigger/jenkins-trigger@v1\n        with: {url: u, job: j, jobs: x}\n", want: `input "jobs"`},
		{name: "missing job", src: "on: push\njobs:\n  a:\n    steps:\n      - uses: ./\n        with: {url: u}\n", want: "the action needs job"},
		{name: "undeclared output", src: "on: push\njobs:\n  a:\n    steps:\n      - id: j\n        uses: ./\n        with: {url: u, job: j}\n      - run: echo ${{ steps.j.outputs.queue_id }}\n", want: `no output "queue_id"`},
		{name: "other actions are not checked", src: "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n"},
		{name: "not yaml", src: "on: [push\n", want: "not a valid workflow"},
		{name: "no jobs", src: "on: push\n", want: "needs on: and jobs:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := strings.Join(workflowProblems(tc.src, inputs, outs), "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("problems = %q, want one containing %q", got, tc.want)
			}
		})
	}
}
