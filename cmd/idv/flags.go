package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// repeated is a flag given once per value, in order.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// splitList reads a comma-separated list flag; empty items are dropped.
func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// verbFlagSet is the flag set of `idv <command> <verb>`, args being what
// follows the command: usage is the error when no verb or none of verbs
// is given.
func verbFlagSet(command, usage string, args []string, stderr io.Writer, verbs ...string) (*flag.FlagSet, error) {
	if len(args) == 0 || !slices.Contains(verbs, args[0]) {
		return nil, errors.New(usage)
	}
	return newFlagSet(command+" "+args[0], stderr), nil
}

// newFlagSet is a subcommand's flag set: it reports errors (and -h) on
// stderr and returns them instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseID reads the value of the id flag --name (tenant, breach, grant).
func parseID(name, v string) (uuid.UUID, error) {
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, fmt.Errorf("--%s must be a %s id (a UUID)", name, name)
	}
	return id, nil
}
