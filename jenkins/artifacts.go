package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Artifact is a file a build archived.
type Artifact struct {
	// RelativePath is the file's path under the build's archive, "/"
	// separated (dist/app.tar.gz). It comes from Jenkins: treat it as
	// untrusted before using it as a local path.
	RelativePath string `json:"relativePath"`
	// FileName is the last element of RelativePath.
	FileName string `json:"fileName"`
}

// BuildRecord is what a build left behind for later steps: its description
// and its archived artifacts.
type BuildRecord struct {
	// Description is the build's description, set by the job (it may hold
	// HTML and line breaks); "" when there is none.
	Description string
	Artifacts   []Artifact
}

// maxBuildRecordBytes bounds the build JSON read for its artifacts list.
const maxBuildRecordBytes = 16 << 20

// BuildRecord reads the description and artifacts list of build number of
// job, with a tree that asks for nothing else.
func (c *Client) BuildRecord(ctx context.Context, job JobPath, number int) (*BuildRecord, error) {
	u, err := c.buildPath(job, number, "api/json")
	if err != nil {
		return nil, err
	}
	u.RawQuery = url.Values{"tree": {"description,artifacts[relativePath,fileName]"}}.Encode()
	resp, err := c.get(ctx, u, "application/json", false)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	var v struct {
		Description *string    `json:"description"`
		Artifacts   []Artifact `json:"artifacts"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBuildRecordBytes)).Decode(&v); err != nil {
		return nil, fmt.Errorf("GET %s: reading the build: %w", redactURL(u), err)
	}
	rec := &BuildRecord{Artifacts: v.Artifacts}
	if v.Description != nil {
		rec.Description = *v.Description
	}
	return rec, nil
}

// Artifacts lists the files build number of job archived.
func (c *Client) Artifacts(ctx context.Context, job JobPath, number int) ([]Artifact, error) {
	rec, err := c.BuildRecord(ctx, job, number)
	if err != nil {
		return nil, err
	}
	return rec.Artifacts, nil
}

// ErrInvalidArtifactPath is returned (wrapped) for an artifact path that
// cannot be sent to Jenkins as one: absolute, with empty, "." or ".."
// elements, backslashes or control characters.
var ErrInvalidArtifactPath = errors.New("invalid artifact path")

// CheckArtifactPath reports whether rel is a path inside a build's archive
// that can be fetched without a server or proxy resolving it somewhere else.
func CheckArtifactPath(rel string) error {
	if rel == "" {
		return fmt.Errorf("%w: empty", ErrInvalidArtifactPath)
	}
	if strings.HasPrefix(rel, "/") {
		return fmt.Errorf("%w %q: absolute", ErrInvalidArtifactPath, rel)
	}
	for _, r := range rel {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w %q: backslash or control character", ErrInvalidArtifactPath, rel)
		}
	}
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case "", ".", "..":
			return fmt.Errorf("%w %q: empty, \".\" or \"..\" element", ErrInvalidArtifactPath, rel)
		}
	}
	return nil
}

// ArtifactSizeError is returned when an artifact's body is not as long as
// its Content-Length said: the connection was cut, or a proxy changed it.
type ArtifactSizeError struct {
	URL           string // redacted
	Got, Expected int64
}

func (e *ArtifactSizeError) Error() string {
	return fmt.Sprintf("GET %s: received %d bytes, Content-Length said %d", e.URL, e.Got, e.Expected)
}

// DownloadArtifact streams the artifact at relativePath of build number of
// job into w, from <build>/artifact/<path> with each element escaped, and
// returns the number of bytes written. Memory use does not depend on the
// artifact's size. When Jenkins sent a Content-Length, the size is checked
// against it.
func (c *Client) DownloadArtifact(ctx context.Context, job JobPath, number int, relativePath string, w io.Writer) (int64, error) {
	if err := CheckArtifactPath(relativePath); err != nil {
		return 0, err
	}
	segs := strings.Split(relativePath, "/")
	for i, s := range segs {
		segs[i] = escapeSegment(s)
	}
	u, err := c.buildPath(job, number, "artifact/"+strings.Join(segs, "/"))
	if err != nil {
		return 0, err
	}
	resp, err := c.get(ctx, u, "*/*", true)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength >= 0 {
			// The connection ended before Content-Length bytes came.
			return n, &ArtifactSizeError{URL: redactURL(u), Got: n, Expected: resp.ContentLength}
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return n, &url.Error{Op: "Get", URL: redactURL(u), Err: ctxErr}
		}
		return n, fmt.Errorf("GET %s: %w", redactURL(u), err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, &ArtifactSizeError{URL: redactURL(u), Got: n, Expected: resp.ContentLength}
	}
	return n, nil
}
