package main

import "regexp"

// A verdict says whether a skip may pass in a run of `go tool task test`.
type verdict int

const (
	allowed   verdict = iota // the skip is by design; the run passes
	provided                 // the task provides what was missing; the run fails
	unclassed                // no rule matched; the run fails until one does
)

// A rule classifies the skips whose reason matches it.
type rule struct {
	match   *regexp.Regexp
	verdict verdict
	what    string // the asset, or the kind of skip
	why     string
}

// rules is the classification, first match wins. The allowed rules come
// first and are narrow: each names why a test skipped, so a message that
// also mentions an asset in passing (a fuzz input's error text, say) is not
// taken for a missing one. Every t.Skip in the tree was read to write them
// (grep -rn 'Skip' --include=*.go); a skip no rule matches fails the run, so
// a new one is classified here before CI passes with it.
var rules = []rule{
	// Allowed: skips by design.
	{regexp.MustCompile(`not with -short`), allowed, "-short",
		"the caller asked for the short suite (go tool task test -- -short ...); the task itself runs the full one"},
	{regexp.MustCompile(`IDV_CHAOS`), allowed, "chaos only",
		"the long fault versions take tens of minutes and run in go tool task chaos, which sets IDV_CHAOS=1"},
	{regexp.MustCompile(`\b(GOOS|GOARCH)\b|(?i)\b(only|not supported) on (linux|darwin|windows|freebsd|openbsd|netbsd|plan9)\b`), allowed, "platform",
		"the test does not apply to this operating system or architecture; no task can provide one"},
	{regexp.MustCompile(`^not a request net/http can send$|^refused by the (client or the )?server's HTTP layer`), allowed, "fuzz input refused",
		"a fuzz input net/http will not send or the server's HTTP layer rejects says nothing about the API's own handling (producers/api/fuzz_test.go)"},
	{regexp.MustCompile(`IDV_WRITE_SEEDS`), allowed, "seed writer",
		"rewrites a fuzz seed corpus on request; a generator, not a check"},
	{regexp.MustCompile(`^crypto/x509 now parses brainpool keys`), allowed, "notice",
		"tells a maintainer the own brainpool parser could go (document/chip); nothing is missing"},
	{regexp.MustCompile(`^no nats-server on PATH: the refusal of a real old server|nats-server.* is .*, not older than |nats-server --version: `), allowed, "no old nats-server",
		"TestConnectRefusesOldServer tries a real nats-server older than the minimum when the machine has one (Debian's 2.9); the version check and its message are tested without one (TestCheckServerVersion, TestCheckServerSaysWhatToDo)"},
	{regexp.MustCompile(`^the committed module was built by .*, this toolchain is `), allowed, "other Go release",
		"the byte-for-byte comparison of the committed WebAssembly module holds only for the Go release that built it (web/wasm/toolchain.txt); another release builds other bytes"},

	// Provided: go tool task test installs or starts these and exports
	// IDV_REQUIRE_* with them, so their absence means the task did not do
	// its job (or a test does not honour its IDV_REQUIRE_* flag).
	//
	// PostgreSQL over TLS comes before PostgreSQL, whose pattern its skip
	// (naming scripts/postgres.sh) matches too.
	{regexp.MustCompile(`IDV_PG_TLS_URL`), provided, "PostgreSQL over TLS",
		"scripts/postgres.sh tls starts a cluster that takes TLS connections only; the task exports IDV_PG_TLS_URL and IDV_REQUIRE_PG_TLS=1"},
	{regexp.MustCompile(`DATABASE_URL|(?i)postgres`), provided, "PostgreSQL",
		"scripts/postgres.sh starts or finds it; the task exports DATABASE_URL and IDV_REQUIRE_DB=1"},
	{regexp.MustCompile(`(?i)MRZ oracle|IDV_MRZ_ORACLE`), provided, "MRZ oracle",
		"scripts/mrz-oracle.sh installs it; the task exports IDV_MRZ_ORACLE and IDV_REQUIRE_ORACLE=1"},
	{regexp.MustCompile(`IDV_FACE_DIR|(?i)\bface (models?|engine)\b|\bmodels?\b|ONNX|without cgo`), provided, "face models",
		"scripts/face-models.sh installs the models and ONNX Runtime; the task exports IDV_FACE_DIR and IDV_REQUIRE_FACE=1"},
	{regexp.MustCompile(`IDV_TEST_IMAGES|(?i)\btest (photos?|images?)\b`), provided, "test photos",
		"scripts/test-images.sh unpacks Debian's test photos; the task exports IDV_TEST_IMAGES and IDV_REQUIRE_FACE=1"},
	{regexp.MustCompile(`(?i)promtool`), provided, "promtool",
		"scripts/promtool.sh installs it; the task exports IDV_PROMTOOL and IDV_REQUIRE_PROMTOOL=1"},
	{regexp.MustCompile(`(?i)chromium|browser|\bnode\b|node_modules|playwright|web toolchain`), provided, "browser",
		"scripts/browser.sh provides chromium, node and web/node_modules; the task evaluates it and exports IDV_REQUIRE_BROWSER=1"},
}

// noRule is what classify returns for a reason no rule matches.
var noRule = rule{verdict: unclassed, what: "unclassified",
	why: "no rule in infra/skipcheck/rule.go matches: provide what the test needs in the task, or add an allowed rule saying why"}

// classify returns the first rule matching reason.
func classify(reason string) rule {
	for _, r := range rules {
		if r.match.MatchString(reason) {
			return r
		}
	}
	return noRule
}
