package main

import "flag"

// update rewrites golden files in testdata/ and the generated tables in
// README.md instead of comparing against them:
//
//	go test -update .
var update = flag.Bool("update", false, "rewrite golden files and the README's generated tables")
