package jenkins

import (
	"strings"
	"testing"
)

// TestDecodeTestReportCut: a report cut by the read limit after its totals
// still gives the totals and the failures read so far.
func TestDecodeTestReportCut(t *testing.T) {
	t.Parallel()
	body := `{"failCount":3,"passCount":10,"skipCount":1,"duration":2.5,"suites":[{"cases":[` +
		`{"className":"a.B","name":"one","status":"FAILED","errorDetails":"x"},` +
		`{"className":"a.B","name":"two","status":"REGRESSION","errorDetails":"y"},` +
		`{"className":"a.B","name":"thr`
	rep, err := decodeTestReport(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Truncated || rep.Failed != 3 || rep.Total() != 14 || len(rep.Failures) != 2 {
		t.Errorf("report = %+v", rep)
	}
	if _, err := decodeTestReport(strings.NewReader(`{"suites":[{"cases":[`)); err == nil {
		t.Error("a cut report without totals gave no error")
	}
}
