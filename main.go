// Command jenkins-trigger triggers a Jenkins job and reports the result. It
// runs as a GitHub Action (settings from INPUT_*), or as a plain container
// or command elsewhere (settings from JENKINS_*). See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr}
	code := cli(ctx, os.Args[1:], e)
	stop()
	os.Exit(code)
}
