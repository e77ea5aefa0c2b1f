package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Stage is one stage of a Pipeline run, as the Pipeline Stage View plugin
// describes it. Parallel branches are stages of their own, listed flat
// after their wrapper stage, and Declarative's synthetic stages
// ("Declarative: Checkout SCM", "Declarative: Post Actions") appear like
// any other.
type Stage struct {
	Name string
	// Status is SUCCESS, FAILED, UNSTABLE, ABORTED, NOT_EXECUTED (skipped),
	// IN_PROGRESS or PAUSED_PENDING_INPUT: Stage View's vocabulary, not a
	// build result (FAILED, not FAILURE).
	Status   string
	Duration time.Duration
	// Error is what made the stage fail, when Jenkins recorded it.
	Error *StageError
}

// StageError is the error that ended a stage.
type StageError struct {
	Message string `json:"message"`
	// Type is the Java exception class, such as hudson.AbortException.
	Type string `json:"type"`
}

// maxDescribeBytes bounds a wfapi/describe answer: a few hundred bytes a
// stage.
const maxDescribeBytes = 4 << 20

// Stages reads the stages of build number of job from <build>/wfapi/describe.
// It returns nil and no error when Jenkins answers 404: the Pipeline Stage
// View plugin is not installed, or the build is not a Pipeline.
func (c *Client) Stages(ctx context.Context, job JobPath, number int) ([]Stage, error) {
	u, err := c.buildPath(job, number, "wfapi/describe")
	if err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, u, "application/json", false)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	var v struct {
		Stages []struct {
			Name           string      `json:"name"`
			Status         string      `json:"status"`
			DurationMillis int64       `json:"durationMillis"`
			Error          *StageError `json:"error"`
		} `json:"stages"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDescribeBytes)).Decode(&v); err != nil {
		return nil, fmt.Errorf("GET %s: reading the stages: %w", redactURL(u), err)
	}
	stages := make([]Stage, 0, len(v.Stages))
	for _, s := range v.Stages {
		st := Stage{Name: s.Name, Status: s.Status, Error: s.Error}
		if s.DurationMillis > 0 {
			st.Duration = time.Duration(s.DurationMillis) * time.Millisecond
		}
		if st.Error != nil && st.Error.Message == "" && st.Error.Type == "" {
			st.Error = nil
		}
		stages = append(stages, st)
	}
	return stages, nil
}

// FailedStage returns the first stage that failed, or nil. Its error names
// the step that failed, which is what a user looks for first.
func FailedStage(stages []Stage) *Stage {
	for i := range stages {
		if stages[i].Status == "FAILED" {
			return &stages[i]
		}
	}
	return nil
}
