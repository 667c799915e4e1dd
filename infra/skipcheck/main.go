// Command skipcheck reads `go test -json` on stdin, prints what go test
// prints for people (each package's ok/FAIL/? line, the output of failing
// tests and of failed builds, as the events arrive), then every skipped test
// with its reason, and exits non-zero when a test or a build failed or when a
// skip shows that an asset `go tool task test` provides was missing (see
// rule.go). It is how the task keeps CI from passing while skipping the
// integration tests it was meant to run:
//
//	go test -json ./... | go run ./infra/skipcheck
package main

import (
	"fmt"
	"os"
)

func main() {
	ok, err := check(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skipcheck:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}
