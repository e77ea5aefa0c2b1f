package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// TestReport is the JUnit result a build published, as far as a summary
// needs it.
type TestReport struct {
	// Passed, Failed and Skipped are Jenkins' own totals. They are not
	// counted from the cases, which a trimmed or cut report lacks.
	Passed, Failed, Skipped int
	// Duration of the whole run, as the report says.
	Duration time.Duration
	// Failures are the failing cases (FAILED or REGRESSION), in report
	// order, at most MaxFailures of them.
	Failures []TestCase
	// Truncated is true when the report was too large to read to its end
	// (see MaxTestReportBytes): Failures then holds those found before the
	// cut, while the totals are still complete.
	Truncated bool
}

// Total is the number of tests run, skipped ones included: Jenkins gives no
// total, only the three counts.
func (r *TestReport) Total() int { return r.Passed + r.Failed + r.Skipped }

// TestCase is one test of a report.
type TestCase struct {
	ClassName string
	Name      string
	// Status is PASSED, FAILED, SKIPPED, FIXED or REGRESSION.
	Status string
	// ErrorDetails is the failure's message (not its stack trace); it may be
	// empty even for a failure.
	ErrorDetails string
	Duration     time.Duration
}

// Failed reports whether the case counts as a failure. FIXED passed this
// time; REGRESSION failed after passing before.
func (tc TestCase) Failed() bool { return tc.Status == "FAILED" || tc.Status == "REGRESSION" }

// Limits of TestReport.
const (
	// MaxTestReportBytes bounds how much of a test report is read. A tree
	// cannot select cases by status, so every case of the run comes back
	// (about 150 bytes each with the tree TestReport asks for): 32 MiB is
	// some 200,000 cases. Beyond it the report is cut, not failed.
	MaxTestReportBytes = 32 << 20
	// MaxFailures bounds the failing cases kept, whatever their number.
	MaxFailures = 100
)

// testReportTree fetches the totals first (Jenkins writes properties in the
// order it declares them, counts before suites) and, of each case, only what
// a summary shows. No {m,n} range is used: it would cut cases by position,
// and the failures may be anywhere; the body is streamed and bounded instead.
const testReportTree = "failCount,passCount,skipCount,duration,suites[cases[className,name,status,errorDetails,duration]]"

// TestReport reads the JUnit report of build number of job, from
// <build>/testReport/api/json. It returns nil and no error when the build
// published no report (Jenkins answers 404).
func (c *Client) TestReport(ctx context.Context, job JobPath, number int) (*TestReport, error) {
	u, err := c.buildPath(job, number, "testReport/api/json")
	if err != nil {
		return nil, err
	}
	u.RawQuery = url.Values{"tree": {testReportTree}}.Encode()
	resp, err := c.get(ctx, u, "application/json", false)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	rep, err := decodeTestReport(io.LimitReader(resp.Body, MaxTestReportBytes))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the test report: %w", redactURL(u), err)
	}
	return rep, nil
}

// decodeTestReport reads a report token by token, so that only failing
// cases are kept in memory. A body that ends early (the read limit) after
// the totals gives a Truncated report.
func decodeTestReport(r io.Reader) (*TestReport, error) {
	dec := json.NewDecoder(r)
	rep := &TestReport{}
	var haveTotals bool
	err := func() error {
		if err := expectDelim(dec, '{'); err != nil {
			return err
		}
		for dec.More() {
			key, err := objectKey(dec)
			if err != nil {
				return err
			}
			switch key {
			case "failCount", "passCount", "skipCount":
				var n int
				if err := dec.Decode(&n); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
				switch key {
				case "failCount":
					rep.Failed = n
				case "passCount":
					rep.Passed = n
				default:
					rep.Skipped = n
				}
				haveTotals = true
			case "duration":
				var s float64
				if err := dec.Decode(&s); err != nil {
					return fmt.Errorf("duration: %w", err)
				}
				rep.Duration = seconds(s)
			case "suites":
				if err := decodeSuites(dec, rep); err != nil {
					return err
				}
			default:
				if err := skipValue(dec); err != nil {
					return err
				}
			}
		}
		return expectDelim(dec, '}')
	}()
	if err != nil {
		if haveTotals && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
			rep.Truncated = true
			return rep, nil
		}
		return nil, err
	}
	return rep, nil
}

func decodeSuites(dec *json.Decoder, rep *TestReport) error {
	if isNull, err := nullOr(dec, '['); err != nil || isNull {
		return err
	}
	for dec.More() {
		if isNull, err := nullOr(dec, '{'); err != nil {
			return err
		} else if isNull {
			continue
		}
		for dec.More() {
			key, err := objectKey(dec)
			if err != nil {
				return err
			}
			if key != "cases" {
				if err := skipValue(dec); err != nil {
					return err
				}
				continue
			}
			if isNull, err := nullOr(dec, '['); err != nil {
				return err
			} else if isNull {
				continue
			}
			for dec.More() {
				var tc struct {
					ClassName    string   `json:"className"`
					Name         string   `json:"name"`
					Status       string   `json:"status"`
					ErrorDetails *string  `json:"errorDetails"`
					Duration     *float64 `json:"duration"`
				}
				if err := dec.Decode(&tc); err != nil {
					return err
				}
				c := TestCase{ClassName: tc.ClassName, Name: tc.Name, Status: tc.Status}
				if !c.Failed() || len(rep.Failures) >= MaxFailures {
					continue
				}
				if tc.ErrorDetails != nil {
					c.ErrorDetails = *tc.ErrorDetails
				}
				if tc.Duration != nil {
					c.Duration = seconds(*tc.Duration)
				}
				rep.Failures = append(rep.Failures, c)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func seconds(s float64) time.Duration {
	if s < 0 || s > 1e9 {
		return 0
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("unexpected %v in JSON, want %q", tok, want)
	}
	return nil
}

// nullOr reads either null (true) or the opening delimiter want.
func nullOr(dec *json.Decoder, want json.Delim) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return false, fmt.Errorf("unexpected %v in JSON, want %q", tok, want)
	}
	return false, nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("unexpected %v in JSON, want an object key", tok)
	}
	return k, nil
}

func skipValue(dec *json.Decoder) error {
	var v json.RawMessage
	return dec.Decode(&v)
}
