package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/jenkins"
)

// maxCACertSize bounds the ca-cert input and file: a bundle of every public
// root CA is about 200 KB.
const maxCACertSize = 1 << 20

// networkOptions returns the client options that say how Jenkins is
// reached: the HTTP transport, with the proxy from HTTPS_PROXY, HTTP_PROXY
// and NO_PROXY (Go's http.ProxyFromEnvironment, kept from the default
// transport) and the TLS trust from ca-cert and insecure; the clock retries
// wait on; and the options a test injects.
func networkOptions(cfg *Config, e env, rep *reporter) ([]jenkins.Option, error) {
	insecure := bool(cfg.Insecure)
	var opts []jenkins.Option
	switch {
	case e.httpClient != nil && cfg.CACert == "" && !insecure:
		opts = append(opts, jenkins.WithHTTPClient(e.httpClient))
	default:
		tr, err := newTransport(e.transport, cfg.CACert, insecure, e.getenv)
		if err != nil {
			return nil, err
		}
		if insecure {
			msg := "insecure is set: Jenkins' TLS certificate is not verified, so anyone on the network path can read the credentials and change the answers. Give Jenkins' CA certificate in ca-cert instead"
			if cfg.CACert != "" {
				msg += " (ca-cert is ignored while insecure is set)"
			}
			rep.Warningf("%s", msg)
		}
		opts = append(opts, jenkins.WithHTTPClient(&http.Client{Transport: tr}))
	}
	if e.clock != nil {
		opts = append(opts, jenkins.WithClock(e.clock))
	}
	return append(opts, e.clientOptions...), nil
}

// newTransport clones base (Go's default transport when nil, which takes
// its proxy from the environment) and sets the TLS trust.
func newTransport(base *http.Transport, caCert string, insecure bool, getenv func(string) string) (*http.Transport, error) {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	tr := base.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if caCert != "" && !insecure { // the warning says ca-cert is ignored
		pool, err := loadCACert(caCert, getenv)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if insecure {
		tr.TLSClientConfig.InsecureSkipVerify = true
	}
	return tr, nil
}

// loadCACert returns the system's CA pool plus the certificates of ca-cert,
// which is either PEM text or the path of a PEM file. A relative path is
// taken from the workspace (GITHUB_WORKSPACE) when there is one, and the
// file must then lie inside it: the input names a file of the repository,
// not any file of the runner.
func loadCACert(value string, getenv func(string) string) (*x509.CertPool, error) {
	value = strings.TrimSpace(value)
	data := []byte(value)
	source := "the ca-cert input"
	if !strings.Contains(value, "-----BEGIN") {
		path, err := workspacePath(value, getenv("GITHUB_WORKSPACE"))
		if err != nil {
			return nil, err
		}
		if data, err = readCAFile(path); err != nil {
			return nil, err
		}
		source = "ca-cert file " + path
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ca-cert: certificate %d in %s cannot be parsed: %v", n+1, source, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("ca-cert: no certificate in %s: give PEM text that starts with -----BEGIN CERTIFICATE-----, or the path of such a file", source)
	}
	return pool, nil
}

// workspacePath resolves a ca-cert path against the workspace and keeps it
// inside.
func workspacePath(p, workspace string) (string, error) {
	if workspace == "" {
		return filepath.Clean(p), nil
	}
	ws := filepath.Clean(workspace)
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws, p)
	}
	p = filepath.Clean(p)
	if !inside(ws, p) {
		return "", fmt.Errorf("ca-cert: %s is outside the workspace %s: give the path of a file in the repository, or the PEM text itself", p, ws)
	}
	// A symbolic link must not lead out of the workspace either.
	if real, err := filepath.EvalSymlinks(p); err == nil {
		realWS, err := filepath.EvalSymlinks(ws)
		if err == nil && !inside(realWS, real) {
			return "", fmt.Errorf("ca-cert: %s links to a file outside the workspace %s", p, ws)
		}
	}
	return p, nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func readCAFile(path string) ([]byte, error) {
	// Only a regular file: opening a FIFO or a device could block the step
	// forever, before any deadline applies.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ca-cert: %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ca-cert: there is no file %s. Give the PEM text of Jenkins' CA certificate (for example from a secret or variable), or the path of a PEM file in the repository; a relative path is taken from the workspace, so check out the repository before this step", path)
	}
	if err != nil {
		return nil, fmt.Errorf("ca-cert: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCACertSize+1))
	if err != nil {
		return nil, fmt.Errorf("ca-cert: read %s: %v", path, err)
	}
	if len(data) > maxCACertSize {
		return nil, fmt.Errorf("ca-cert: %s is larger than %d bytes; is it a certificate?", path, maxCACertSize)
	}
	return data, nil
}
