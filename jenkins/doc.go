// Package jenkins is a small client for the parts of the Jenkins REST API that
// trigger and follow builds: the CSRF crumb issuer, /build and
// /buildWithParameters, queue items, builds and their console.
//
// It is written against how Jenkins really answers (see the package tests and
// the strict fake in package jenkinstest): the crumb is bound to the web
// session, so the JSESSIONID cookie is kept beside it; a 303 or 200 answer to
// a trigger is a merge into an existing queue item, not something to follow;
// and the queue item's executable is the only reliable link to the build a
// trigger caused.
//
// The package knows nothing about GitHub Actions; it can be used on its own.
package jenkins
