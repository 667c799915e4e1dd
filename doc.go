// Package idv is IDV's domain core: what a verification is, independent of
// where it is stored or how its events travel. It owns the session and its
// typed status, the checks, outcomes, decisions and reason codes, the one
// event envelope (built by NewEvent, read back by DecodeEvent), the
// description of every pipeline stage, the store interfaces each service
// needs, and the lifecycle services over them.
//
// The direction of dependencies (held by the architecture test in
// arch_test.go): producers/ and consumers/ use this package's types and
// interfaces; infra/ implements the interfaces; cmd/ wires the two; schemas/
// holds the contracts and imports nothing of IDV's. This package imports
// only schemas/ and the standard library (and uuid): no driver, no adapter.
package idv
