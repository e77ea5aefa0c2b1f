package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// Limits of what the results show. GitHub shows at most 10 error
// annotations per step, so more would only be noise.
const (
	maxSummaryFailures    = 20
	maxAnnotatedFailures  = 10
	maxAnnotationMessage  = 4000 // runes
	maxDescriptionRunes   = 64 << 10
	maxMarkdownCellRunes  = 300
	maxAnnotationTitleLen = 300
)

// errArtifacts marks artifacts that were asked for and could not be
// downloaded (or were refused); each has had its own annotation.
var errArtifacts = errors.New("artifacts not downloaded")

// validateResultsConfig checks the results settings, so that a typo fails
// before anything is triggered.
func validateResultsConfig(c *Config) error {
	if !filepath.IsLocal(c.ArtifactsDir) || filepath.Clean(c.ArtifactsDir) == "." {
		return fmt.Errorf("artifacts-dir %q must be a folder inside the workspace (a relative path, not the workspace itself, without ..)", c.ArtifactsDir)
	}
	if err := artifacts.CheckPath(filepath.ToSlash(filepath.Clean(c.ArtifactsDir))); err != nil {
		return fmt.Errorf("artifacts-dir: %w", err)
	}
	if _, err := artifacts.ParsePatterns(c.Artifacts); err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	return nil
}

// resultsOutputs is what reportResults learned about a finished build.
type resultsOutputs struct {
	// Report is nil when the build published no tests, when test-report is
	// false, or when the report could not be read (after a warning).
	Report *jenkins.TestReport
	// Stages is nil for a build without Stage View data.
	Stages []jenkins.Stage
	// Description is the build's description ("" for none).
	Description string
	// Artifacts are the downloaded files, relative to the workspace, "/"
	// separated.
	Artifacts []string
	// FailedStage names the first failed stage and its error, as a sentence
	// for the step's ::error:: ("" when no stage failed).
	FailedStage string
	// Summary is the Markdown appended to the job summary ("" when there is
	// nothing to show).
	Summary string
}

// reportResults brings the results of build number of job into the
// workflow run, once the build has finished, whatever its result: it reads
// the test report (when cfg.TestReport), the Pipeline stages, the
// description and the artifacts list; downloads the artifacts that match
// cfg.Artifacts into cfg.ArtifactsDir; annotates the first failing tests;
// appends a section to the job summary; and sets the outputs tests-total,
// tests-failed, tests-skipped, artifacts and description.
//
// A report, stage list or description that cannot be read is a warning,
// never an error: it must not fail a step whose build passed. The error it
// returns is for what the user asked for and did not get: artifacts not
// downloaded (errArtifacts) or outputs not written (errOutput).
//
// buildFailed, when not nil, reports the failed build: it is called with
// the failed stage's description before any test is annotated, so that the
// build's own error is among the 10 error annotations GitHub shows for a
// step (and the tests then get one fewer).
func reportResults(ctx context.Context, client *jenkins.Client, rep *reporter, job jenkins.JobPath, number int, cfg *Config, buildFailed func(failedStage string)) (resultsOutputs, error) {
	var out resultsOutputs
	build := fmt.Sprintf("%s #%d", job, number)
	if cfg.TestReport {
		r, err := client.TestReport(ctx, job, number)
		if err != nil {
			rep.Warningf("Could not read the test report of %s: %v", build, err)
		}
		out.Report = r
		if r != nil && r.Truncated {
			rep.Warningf("The test report of %s is larger than %d MiB: its totals are complete, but failing tests after that point are not listed", build, jenkins.MaxTestReportBytes>>20)
		}
	}
	stages, err := client.Stages(ctx, job, number)
	if err != nil {
		rep.Warningf("Could not read the pipeline stages of %s: %v", build, err)
	}
	out.Stages = stages
	out.FailedStage = failedStageMessage(stages)

	var artErr error
	rec, err := client.BuildRecord(ctx, job, number)
	if err != nil {
		rep.Warningf("Could not read the description and artifacts of %s: %v", build, err)
		if strings.TrimSpace(cfg.Artifacts) != "" {
			artErr = fmt.Errorf("%w: the artifacts list of %s could not be read: %v", errArtifacts, build, err)
			rep.Errorf("Artifacts not downloaded", "%s", artErr)
		}
	} else {
		out.Description = rec.Description
		out.Artifacts, artErr = downloadArtifacts(ctx, client, rep, job, number, cfg, rec.Artifacts)
	}

	annotations := testAnnotations(out.Report)
	if buildFailed != nil {
		buildFailed(out.FailedStage)
		annotations = annotations[:min(len(annotations), maxAnnotatedFailures-1)]
	}
	for _, a := range annotations {
		rep.Errorf(a.title, "%s", a.message)
	}
	out.Summary = renderSummary(out.Report, out.Stages, out.Artifacts)
	if err := writeSummary(rep, out.Summary); err != nil {
		return out, errors.Join(artErr, fmt.Errorf("%w: job summary: %v", errOutput, err))
	}
	if err := out.setOutputs(rep); err != nil {
		return out, errors.Join(artErr, err)
	}
	return out, artErr
}

// downloadArtifacts downloads the listed artifacts that match the patterns.
// A pattern matching nothing is a warning; a refused path or a failed
// download is an error annotation, and the others are still downloaded.
func downloadArtifacts(ctx context.Context, client *jenkins.Client, rep *reporter, job jenkins.JobPath, number int, cfg *Config, list []jenkins.Artifact) ([]string, error) {
	downloaded := []string{}
	patterns, err := artifacts.ParsePatterns(cfg.Artifacts)
	if err != nil || len(patterns) == 0 {
		return downloaded, err
	}
	paths := make([]string, 0, len(list))
	for _, a := range list {
		paths = append(paths, a.RelativePath)
	}
	selected, unmatched := artifacts.Select(patterns, paths)
	for _, p := range unmatched {
		rep.Warningf("No artifact of %s #%d matches %q (it archived %d files)", job, number, p.String(), len(list))
	}
	if len(selected) == 0 {
		return downloaded, nil
	}
	workspace := rep.getenv("GITHUB_WORKSPACE")
	if workspace == "" {
		workspace = "."
	}
	dir, err := artifacts.OpenDir(workspace, filepath.ToSlash(filepath.Clean(cfg.ArtifactsDir)))
	if err != nil {
		err = fmt.Errorf("%w: artifacts-dir: %v", errArtifacts, err)
		rep.Errorf("Artifacts not downloaded", "%s", err)
		return downloaded, err
	}
	defer dir.Close()
	var errs []error
	for _, rel := range selected {
		var n int64
		err := artifacts.CheckPath(rel)
		if err == nil {
			err = dir.Write(rel, func(w io.Writer) error {
				var err error
				n, err = client.DownloadArtifact(ctx, job, number, rel, w)
				return err
			})
		}
		if errors.Is(err, artifacts.ErrUnsafePath) || errors.Is(err, jenkins.ErrInvalidArtifactPath) {
			err = fmt.Errorf("%w: Jenkins listed an artifact whose path %s would write outside %s; it was not downloaded (a Jenkins server must never write outside artifacts-dir): %v",
				errArtifacts, strconv.QuoteToASCII(rel), cfg.ArtifactsDir, err)
		} else if err != nil {
			err = fmt.Errorf("%w: %s: %v", errArtifacts, strconv.QuoteToASCII(rel), err)
		}
		if err != nil {
			rep.Errorf("Artifact not downloaded", "%s", err)
			errs = append(errs, err)
			continue
		}
		p := path.Join(filepath.ToSlash(filepath.Clean(cfg.ArtifactsDir)), rel)
		rep.Infof("Downloaded %s (%d bytes)", p, n)
		downloaded = append(downloaded, p)
	}
	return downloaded, errors.Join(errs...)
}

// setOutputs sets the results outputs. The test counts are empty when there
// is no report, so that a workflow can tell "no tests" from "0 failed".
func (o resultsOutputs) setOutputs(rep *reporter) error {
	var total, failed, skipped string
	if o.Report != nil {
		total, failed, skipped = strconv.Itoa(o.Report.Total()), strconv.Itoa(o.Report.Failed), strconv.Itoa(o.Report.Skipped)
	}
	list, err := json.Marshal(o.Artifacts)
	if err != nil {
		return err
	}
	if o.Artifacts == nil {
		list = []byte("[]")
	}
	for _, kv := range [][2]string{{"tests-total", total}, {"tests-failed", failed}, {"tests-skipped", skipped}, {"artifacts", string(list)}} {
		if err := rep.SetOutput(kv[0], kv[1]); err != nil {
			return fmt.Errorf("%w: %v", errOutput, err)
		}
	}
	if err := setMultilineOutput(rep, "description", truncateRunes(strings.ToValidUTF8(o.Description, "\uFFFD"), maxDescriptionRunes)); err != nil {
		return fmt.Errorf("%w: %v", errOutput, err)
	}
	return nil
}

// setMultilineOutput sets an output whose value may span lines and comes
// from Jenkins. go-githubactions' SetOutput ends every value at the fixed
// line "_GitHubActionsFileCommandDelimeter_", so a value holding that line
// could set other outputs; here the delimiter is random and checked not to
// occur in the value, as the runner's toolkit does.
func setMultilineOutput(rep *reporter, name, value string) error {
	if !strings.ContainsAny(value, "\r\n") {
		return rep.SetOutput(name, value)
	}
	var delim string
	for {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		delim = "ghadelimiter_" + hex.EncodeToString(b)
		if !strings.Contains(value, delim) {
			break
		}
	}
	text := name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
	if rep.github && rep.getenv("GITHUB_OUTPUT") != "" {
		return appendFile(rep.getenv("GITHUB_OUTPUT"), text)
	}
	// Outside GitHub: still one name=value line, the value quoted with Go
	// (JSON-like) escapes, so that a line break cannot start another line.
	_, err := fmt.Fprintf(rep.out, "%s=%s\n", name, strconv.Quote(value))
	return err
}

// writeSummary appends md to the job summary under GitHub Actions; elsewhere
// there is no summary, and the annotations and log say what matters.
func writeSummary(rep *reporter, md string) error {
	file := rep.getenv("GITHUB_STEP_SUMMARY")
	if md == "" || file == "" {
		return nil
	}
	return appendFile(file, md)
}

// appendFile appends to a file the runner reads (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY). go-githubactions panics when that fails; a step
// should say so instead.
func appendFile(name, text string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// annotation is one ::error:: for a failing test.
type annotation struct{ title, message string }

// testAnnotations returns an error annotation for each of the first
// failing tests. The title and message are raw Jenkins text made printable;
// the reporter escapes them for the workflow command.
func testAnnotations(r *jenkins.TestReport) []annotation {
	if r == nil {
		return nil
	}
	var out []annotation
	for _, f := range r.Failures {
		if len(out) == maxAnnotatedFailures {
			break
		}
		msg := printable(f.ErrorDetails)
		if strings.TrimSpace(msg) == "" {
			msg = fmt.Sprintf("%s (Jenkins recorded no error message)", oneLine(f.Status, 40))
		}
		out = append(out, annotation{title: oneLine(testName(f), maxAnnotationTitleLen), message: truncateRunes(msg, maxAnnotationMessage)})
	}
	return out
}

func testName(f jenkins.TestCase) string {
	if f.ClassName == "" {
		return f.Name
	}
	return f.ClassName + "." + f.Name
}

// failedStageMessage names the first failed stage and what failed in it.
func failedStageMessage(stages []jenkins.Stage) string {
	s := jenkins.FailedStage(stages)
	if s == nil {
		return ""
	}
	msg := fmt.Sprintf("stage %q failed", oneLine(s.Name, 200))
	if s.Error != nil && strings.TrimSpace(s.Error.Message) != "" {
		msg += ": " + oneLine(s.Error.Message, 500)
	}
	return msg
}

// renderSummary returns the job summary section for the results, or "" when
// there is nothing to show. All Jenkins text is escaped for Markdown.
func renderSummary(r *jenkins.TestReport, stages []jenkins.Stage, downloaded []string) string {
	var b strings.Builder
	if r != nil {
		b.WriteString("### Test results\n\n")
		b.WriteString("| Total | ✅ Passed | ❌ Failed | ⏭️ Skipped | Duration |\n")
		b.WriteString("|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %s |\n\n", r.Total(), r.Passed, r.Failed, r.Skipped, formatDuration(r.Duration))
		if n := len(r.Failures); n > 0 {
			shown := min(n, maxSummaryFailures)
			if shown < r.Failed {
				fmt.Fprintf(&b, "**Failing tests** (first %d of %d)\n\n", shown, r.Failed)
			} else {
				b.WriteString("**Failing tests**\n\n")
			}
			b.WriteString("| Test | Error | Duration |\n|---|---|---:|\n")
			for _, f := range r.Failures[:shown] {
				msg := firstLine(f.ErrorDetails)
				if msg == "" {
					msg = "(no error message)"
				}
				fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(testName(f)), mdCell(msg), formatDuration(f.Duration))
			}
			b.WriteString("\n")
		} else if r.Failed > 0 {
			fmt.Fprintf(&b, "Jenkins counts %d failing tests but listed none of them in the report.\n\n", r.Failed)
		}
		if r.Truncated {
			fmt.Fprintf(&b, "The report is larger than %d MiB: failing tests after that point are not listed.\n\n", jenkins.MaxTestReportBytes>>20)
		}
	}
	if len(stages) > 0 {
		b.WriteString("### Pipeline stages\n\n| Stage | Status | Duration |\n|---|---|---:|\n")
		for _, s := range stages {
			status := statusIcon(s.Status) + " " + mdCell(s.Status)
			if s.Error != nil && strings.TrimSpace(s.Error.Message) != "" {
				status += ": " + mdCell(firstLine(s.Error.Message))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(s.Name), status, formatDuration(s.Duration))
		}
		b.WriteString("\n")
	}
	if len(downloaded) > 0 {
		b.WriteString("### Artifacts\n\n")
		for _, p := range downloaded {
			fmt.Fprintf(&b, "- %s\n", mdCell(p))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func statusIcon(s string) string {
	switch s {
	case "SUCCESS":
		return "✅"
	case "FAILED", "FAILURE":
		return "❌"
	case "UNSTABLE":
		return "⚠️"
	case "ABORTED":
		return "⏹️"
	case "NOT_EXECUTED":
		return "⏭️"
	case "IN_PROGRESS", "PAUSED_PENDING_INPUT":
		return "⏸️"
	}
	return "•"
}

// formatDuration prints a duration the way a person reads a build time.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Round(10*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dh %dm %ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// firstLine returns the first line of s that is not blank, trimmed.
func firstLine(s string) string {
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n") {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// mdCell makes Jenkins text safe inside a Markdown table cell or list item:
// one line, at most maxMarkdownCellRunes, with HTML, table pipes and inline
// Markdown (code, emphasis, links, math, mentions, issue references, emoji
// shortcodes) escaped, so that it shows as the text it is.
func mdCell(s string) string {
	s = oneLine(s, maxMarkdownCellRunes)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '|', '\\', '`', '*', '_', '[', ']', '(', ')', '~', '$', '@', '#', '!', '{', '}', ':':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine folds s to one printable line of at most max runes.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if isBidiControl(r) {
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return truncateRunes(b.String(), max)
}

// printable keeps line breaks and tabs but drops other control characters
// (terminal escape sequences), for messages that may span lines.
func printable(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) || (unicode.IsControl(r) && r != '\n' && r != '\t') {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// isBidiControl reports the invisible characters that reorder the text
// around them (U+202A–U+202E, U+2066–U+2069): in a test name or an error
// from Jenkins they can make the summary show something else than it says.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
