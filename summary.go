package main

import (
	"fmt"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// outcome is what the job summary shows about a followed build.
type outcome struct {
	job    jenkins.JobPath
	res    *jenkins.Followed
	result string // the build's result, when it finished
	status string // otherwise: started, timed out, cancelled, failed
}

// markdown renders the summary: one short table. Every text that comes
// from Jenkins or the settings is escaped, so a job or display name cannot
// add markup, links or table cells.
func (o outcome) markdown() string {
	var b strings.Builder
	b.WriteString("### Jenkins build\n\n| Job | Build | Result | Duration | Queue wait |\n| --- | --- | --- | --- | --- |\n")
	build, result, dur, wait := "—", "—", "—", "—"
	if o.res != nil && o.res.BuildNumber > 0 {
		build = fmt.Sprintf("[#%d](%s)", o.res.BuildNumber, mdURL(o.res.BuildURL))
		wait = formatDuration(o.res.QueueWait)
	}
	switch {
	case o.result != "":
		result = resultIcon(o.result) + " " + mdCell(o.result)
	case o.status != "":
		result = mdCell(o.status)
	}
	if o.res != nil && o.res.Build != nil && o.res.Build.Finished() {
		dur = formatDuration(o.res.Build.Duration)
	}
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(o.job.String()), build, result, dur, wait)
	return b.String()
}

func resultIcon(r string) string {
	switch r {
	case jenkins.ResultSuccess:
		return "✅"
	case jenkins.ResultUnstable:
		return "⚠️"
	case jenkins.ResultAborted, jenkins.ResultNotBuilt:
		return "⏹️"
	}
	return "❌"
}

// mdURL keeps a link destination in one piece: parentheses and spaces
// would end it early.
func mdURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}

// Summary appends markdown to the job summary file, when there is one
// (GITHUB_STEP_SUMMARY; other CI systems may set it too). A file that cannot
// be written is a warning: the summary never fails a step.
func (r *reporter) Summary(markdown string) {
	if err := writeSummary(r, markdown+"\n"); err != nil {
		r.Warningf("Could not write the job summary: %v", err)
	}
}
