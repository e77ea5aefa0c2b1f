package jenkins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parameter is one build parameter.
type Parameter struct {
	Name  string
	Value string
}

// Parameters are build parameters in the order they were given. Jenkins
// answers 500 to a repeated name, so names are unique.
type Parameters []Parameter

// ErrInvalidParameters is returned (wrapped) by ParseParameters.
var ErrInvalidParameters = errors.New("invalid parameters")

// MaxParametersSize bounds the parameters text: Jenkins keeps parameters in
// every build record, and a larger value is almost certainly a mistake.
const MaxParametersSize = 1 << 20

// ParseParameters parses build parameters given either as lines of
// NAME=value (split on the first "="; the value is kept as written, spaces,
// "=" and "," included; blank lines and lines starting with "#" are
// skipped) or as one JSON object whose values are strings, numbers or
// booleans ({"BRANCH": "main", "DRY_RUN": true}; null leaves the parameter
// out, so the job's default applies). Empty text means no parameters, and
// returns nil.
func ParseParameters(text string) (Parameters, error) {
	if len(text) > MaxParametersSize {
		return nil, fmt.Errorf("%w: %d bytes is more than the %d allowed", ErrInvalidParameters, len(text), MaxParametersSize)
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrInvalidParameters)
	}
	if strings.ContainsRune(text, 0) {
		return nil, fmt.Errorf("%w: contains a NUL character", ErrInvalidParameters)
	}
	text = strings.TrimPrefix(text, "\uFEFF") // a byte order mark from an editor
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return nil, nil
	}
	if strings.HasPrefix(trimmed, "[") {
		return nil, fmt.Errorf("%w: a JSON array is not accepted: give a JSON object ({\"NAME\": \"value\"}) or NAME=value lines", ErrInvalidParameters)
	}
	var ps Parameters
	var err error
	if strings.HasPrefix(trimmed, "{") {
		ps, err = parseJSONParameters(trimmed)
	} else {
		ps, err = parseLineParameters(text)
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if seen[p.Name] {
			return nil, fmt.Errorf("%w: %q is given twice", ErrInvalidParameters, p.Name)
		}
		seen[p.Name] = true
	}
	return ps, nil
}

func parseLineParameters(text string) (Parameters, error) {
	var ps Parameters
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d has no '=': write one NAME=value a line, or a JSON object", ErrInvalidParameters, i+1)
		}
		name = strings.TrimSpace(name)
		if err := checkParameterName(name); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalidParameters, i+1, err)
		}
		ps = append(ps, Parameter{Name: name, Value: value})
	}
	return ps, nil
}

func checkParameterName(name string) error {
	if name == "" {
		return errors.New("empty parameter name")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("parameter name %q contains a space or control character", name)
		}
	}
	return nil
}

// parseJSONParameters keeps the order of the object's keys, which
// encoding/json's map decoding would lose.
func parseJSONParameters(text string) (Parameters, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // "{"
		return nil, fmt.Errorf("%w: JSON: %v", ErrInvalidParameters, err)
	}
	var ps Parameters
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: JSON: %v", ErrInvalidParameters, err)
		}
		name, _ := tok.(string)
		if err := checkParameterName(name); err != nil {
			return nil, fmt.Errorf("%w: JSON: %v", ErrInvalidParameters, err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: JSON value of %q: %v", ErrInvalidParameters, name, err)
		}
		if string(bytes.TrimSpace(raw)) == "null" {
			// null leaves the parameter out, so the job's default applies.
			continue
		}
		value, err := jsonScalar(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: JSON value of %q: %v", ErrInvalidParameters, name, err)
		}
		ps = append(ps, Parameter{Name: name, Value: value})
	}
	if _, err := dec.Token(); err != nil { // "}"
		return nil, fmt.Errorf("%w: JSON: %v", ErrInvalidParameters, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: JSON: unexpected text after the object", ErrInvalidParameters)
	}
	return ps, nil
}

func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", errors.New("missing value")
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		if err == nil && strings.ContainsRune(s, 0) {
			return "", errors.New("contains a NUL character")
		}
		return s, err
	case string(raw) == "true", string(raw) == "false":
		return string(raw), nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), nil
	}
	return "", errors.New("must be a string, number, boolean or null (Jenkins parameters are text)")
}

// Get returns the value of the named parameter.
func (ps Parameters) Get(name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}
