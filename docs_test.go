package main

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// These tests keep the four descriptions of the action in step: action.yml
// (what the runner reads), the settings and outputs tables (which drive the
// code and --help), --help itself, and the README's tables. They check that
// the four agree, not a fixed list, so a new input is added by adding its
// row to action.yml and to the settings table, then regenerating the README
// tables with
//
//	go test -run TestDocs -update

// actionInput is an input as action.yml declares it.
type actionInput struct {
	Name, Description, Default string
	Required                   bool
}

// actionSpec is what the tests need from action.yml, in file order.
type actionSpec struct {
	Inputs  []actionInput
	Outputs []output
}

func loadActionSpec(t *testing.T) actionSpec {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	var spec actionSpec
	root := doc.Content[0]
	for name, in := range mappingItems(t, mappingValue(root, "inputs")) {
		a := actionInput{Name: name}
		for k, v := range mappingItems(t, in) {
			switch k {
			case "description":
				a.Description = v.Value
			case "default":
				a.Default = v.Value
			case "required":
				a.Required = v.Value == "true"
			}
		}
		spec.Inputs = append(spec.Inputs, a)
	}
	for name, out := range mappingItems(t, mappingValue(root, "outputs")) {
		d := mappingValue(out, "description")
		if d == nil {
			t.Errorf("action.yml: output %s has no description", name)
			continue
		}
		spec.Outputs = append(spec.Outputs, output{Name: name, Description: d.Value})
	}
	return spec
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mappingItems yields a YAML mapping's keys and values in file order.
func mappingItems(t *testing.T, m *yaml.Node) func(func(string, *yaml.Node) bool) {
	t.Helper()
	if m == nil || m.Kind != yaml.MappingNode {
		t.Fatalf("action.yml: expected a mapping, got %v", m)
	}
	return func(yield func(string, *yaml.Node) bool) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if !yield(m.Content[i].Value, m.Content[i+1]) {
				return
			}
		}
	}
}

// envDefault returns the default= option of the Config field with env key.
func envDefault(key string) (string, bool) {
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("env")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.TrimSpace(name) != key {
			continue
		}
		for opt := range strings.SplitSeq(opts, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(opt), "default="); ok {
				return v, true
			}
		}
		return "", true
	}
	return "", false
}

func TestDocsSettingsMatchActionYML(t *testing.T) {
	t.Parallel()
	spec := loadActionSpec(t)
	bySetting := map[string]setting{}
	for _, s := range settings {
		bySetting[s.Input] = s
	}
	for _, in := range spec.Inputs {
		t.Run(in.Name, func(t *testing.T) {
			t.Parallel()
			s, ok := bySetting[in.Name]
			if !ok {
				t.Fatalf("action.yml declares input %q, but config.go's settings table has no row for it", in.Name)
			}
			if s.Required != in.Required {
				t.Errorf("required: settings table %v, action.yml %v", s.Required, in.Required)
			}
			if s.Default != in.Default {
				t.Errorf("default: settings table %q, action.yml %q (a docker:// step sees no action.yml defaults, so they must agree)", s.Default, in.Default)
			}
			def, ok := envDefault(s.Key)
			if !ok {
				t.Fatalf("Config has no field with env key %q", s.Key)
			}
			if def != in.Default {
				t.Errorf("default: Config's env tag %q, action.yml %q", def, in.Default)
			}
			if in.Description == "" {
				t.Errorf("action.yml has no description for %s", in.Name)
			}
		})
	}
	declared := map[string]bool{}
	for _, in := range spec.Inputs {
		declared[in.Name] = true
	}
	for _, s := range settings {
		if !declared[s.Input] {
			t.Errorf("settings table has %q, which action.yml does not declare", s.Input)
		}
	}
}

func TestDocsOutputsMatchActionYML(t *testing.T) {
	t.Parallel()
	spec := loadActionSpec(t)
	var inYML, inGo []string
	for _, o := range spec.Outputs {
		inYML = append(inYML, o.Name)
	}
	for _, o := range outputs {
		inGo = append(inGo, o.Name)
	}
	slices.Sort(inYML)
	slices.Sort(inGo)
	if !slices.Equal(inYML, inGo) {
		t.Errorf("outputs: action.yml %v, cli.go outputs table %v", inYML, inGo)
	}
}

func TestDocsHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	spec := loadActionSpec(t)
	var b bytes.Buffer
	usage(&b)
	help := b.String()
	for _, in := range spec.Inputs {
		def := "none"
		switch {
		case in.Required:
			def = "required"
		case in.Default != "":
			def = "default " + in.Default
		}
		want := fmt.Sprintf("  --%s VALUE\n      input %s, env JENKINS_%s; %s\n", in.Name, in.Name, strings.ToUpper(strings.ReplaceAll(in.Name, "-", "_")), def)
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks\n%s", want)
		}
	}
	if got := strings.Count(help, " VALUE\n"); got != len(spec.Inputs) {
		t.Errorf("--help lists %d settings, action.yml declares %d inputs", got, len(spec.Inputs))
	}
	for _, o := range spec.Outputs {
		if !strings.Contains(help, "\n  "+o.Name+"\n") {
			t.Errorf("--help lacks output %s", o.Name)
		}
	}
}

// readmeTables renders the README's tables from action.yml.
func readmeTables(spec actionSpec) map[string]string {
	cell := func(s string) string {
		return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
	}
	var in strings.Builder
	in.WriteString("| Input | Environment variable | Required | Default | Description |\n| --- | --- | --- | --- | --- |\n")
	for _, i := range spec.Inputs {
		req, def := "no", ""
		if i.Required {
			req = "yes"
		}
		if i.Default != "" {
			def = "`" + i.Default + "`"
		}
		fmt.Fprintf(&in, "| `%s` | `JENKINS_%s` | %s | %s | %s |\n", i.Name, strings.ToUpper(strings.ReplaceAll(i.Name, "-", "_")), req, def, cell(i.Description))
	}
	var out strings.Builder
	out.WriteString("| Output | Description |\n| --- | --- |\n")
	for _, o := range spec.Outputs {
		fmt.Fprintf(&out, "| `%s` | %s |\n", o.Name, cell(o.Description))
	}
	return map[string]string{"inputs": in.String(), "outputs": out.String()}
}

var tableMarker = regexp.MustCompile(`(?s)(<!-- (inputs|outputs):start[^>]*-->\n)(.*?)(<!-- (?:inputs|outputs):end -->)`)

func TestDocsREADMETables(t *testing.T) {
	t.Parallel()
	spec := loadActionSpec(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := readmeTables(spec)
	found := map[string]bool{}
	got := tableMarker.ReplaceAllStringFunc(string(readme), func(m string) string {
		sub := tableMarker.FindStringSubmatch(m)
		found[sub[2]] = true
		if sub[3] != want[sub[2]] {
			if !*update {
				t.Errorf("README.md's %s table does not match action.yml; run go test -run TestDocs -update\ngot:\n%s\nwant:\n%s", sub[2], sub[3], want[sub[2]])
			}
		}
		return sub[1] + want[sub[2]] + sub[4]
	})
	for name := range want {
		if !found[name] {
			t.Errorf("README.md has no <!-- %s:start --> ... <!-- %s:end --> table", name, name)
		}
	}
	if *update && got != string(readme) {
		if err := os.WriteFile("README.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
