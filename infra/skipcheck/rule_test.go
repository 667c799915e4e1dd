package main

import "testing"

// TestClassify holds every skip message in the tree (grep -rn 'Skip'
// --include=*.go), with the values the formatted ones take, and what each
// must be classified as; a rule that matches none of them is also a defect.
func TestClassify(t *testing.T) {
	cases := []struct{ where, reason, what string }{
		{"infra/postgres/pgtest/pgtest.go", "integration test skipped: no DATABASE_URL; run `go tool task test`, which starts or finds PostgreSQL", "PostgreSQL"},
		{"infra/broker/version_test.go", "no nats-server on PATH: the refusal of a real old server is not tried here (TestCheckServerSaysWhatToDo covers its text)", "no old nats-server"},
		{"infra/broker/version_test.go", "/usr/bin/nats-server is 2.11.0, not older than 2.10.0", "no old nats-server"},
		{"infra/postgres/tls_test.go", "TLS test skipped: no IDV_PG_TLS_URL; run `go tool task test`, or IDV_PG_TLS_URL=\"$(scripts/postgres.sh tls)\" go test ./infra/postgres", "PostgreSQL over TLS"},
		{"document/mrz/oracle_test.go", "MRZ oracle not installed: run `go tool task test`, or IDV_MRZ_ORACLE=\"$(scripts/mrz-oracle.sh)\" go test ./document/mrz", "MRZ oracle"},
		{"face/engine_test.go", `IDV_FACE_DIR not set: run IDV_FACE_DIR="$(scripts/face-models.sh)" go test ./face`, "face models"},
		{"face/engine_test.go", "built without cgo: ONNX Runtime cannot be loaded", "face models"},
		{"face/face_test.go", `test image grace_hopper.jpg absent: run IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test ./face`, "test photos"},
		{"face/facetest/facetest.go", `IDV_FACE_DIR not set: run IDV_FACE_DIR="$(scripts/face-models.sh)" go test …`, "face models"},
		{"face/facetest/facetest.go", "face engine: face: open session: no such file", "face models"},
		{"face/facetest/facetest.go", `IDV_TEST_IMAGES not set: run IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test …`, "test photos"},
		{"face/facetest/facetest.go", "test photo: open /x/grace_hopper.jpg: no such file or directory", "test photos"},
		{"consumers/facematch/facematch_test.go", `IDV_FACE_DIR or IDV_TEST_IMAGES not set: run IDV_FACE_DIR="$(scripts/face-models.sh)" IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test ./consumers/facematch`, "face models"},
		{"consumers/facematch/facematch_test.go", "face engine: face: built without cgo", "face models"},
		{"consumers/facematch/facematch_test.go", `test image astronaut.png: open x: no such file: run IDV_FACE_DIR="$(scripts/face-models.sh)" IDV_TEST_IMAGES="$(scripts/test-images.sh)" go test ./consumers/facematch`, "face models"},
		{"document/cardimage/photo.go", `test photos absent: run with IDV_TEST_IMAGES="$(scripts/test-images.sh)"`, "test photos"},
		{"cmd/idv/facematch_test.go", `face models or test photos absent: IDV_FACE_DIR="$(scripts/face-models.sh)" IDV_TEST_IMAGES="$(scripts/test-images.sh)"`, "face models"},
		{"infra/prometheus/rules_test.go", "IDV_PROMTOOL is not set: IDV_PROMTOOL=\"$(scripts/promtool.sh)\" go test ./infra/prometheus", "promtool"},
		{"web/wasm/wasm_test.go", `the WebAssembly checks run under node, which is not on PATH: eval "$(bash scripts/browser.sh)" or install Node.js 18 or later`, "browser"},
		{"cmd/idv/capturepage_test.go", `browser test needs /usr/bin/chromium, node: eval "$(scripts/browser.sh)"`, "browser"},
		{"producers/capturepage/bundle_test.go", `web toolchain absent: eval "$(scripts/browser.sh)" first`, "browser"},

		{"cmd/idv/cluster_test.go", "three NATS nodes and 36 verifications: not with -short", "-short"},
		{"cmd/idv/crash_test.go", "subprocesses killed many times: not with -short", "-short"},
		{"cmd/idv/outage_test.go", "broker restart: not with -short", "-short"},
		{"cmd/idv/outage_test.go", "database and storage outage: not with -short", "-short"},
		{"cmd/idv/hostile_test.go", "hostile captures through worker processes: not with -short", "-short"},
		{"(none yet)", "the long version: set IDV_CHAOS=1 (go tool task chaos)", "chaos only"},
		{"(none yet)", "needs /proc: not supported on darwin", "platform"},
		{"producers/api/fuzz_test.go", "not a request net/http can send", "fuzz input refused"},
		{"producers/api/fuzz_test.go", "refused by the client or the server's HTTP layer: net/http: invalid header field name", "fuzz input refused"},
		{"producers/api/fuzz_test.go", `refused by the server's HTTP layer: 400 "400 Bad Request"`, "fuzz input refused"},
		{"producers/offboard/archive/fuzz_test.go", "set IDV_WRITE_SEEDS=1 to rewrite testdata/seeds", "seed writer"},
		{"document/chip/openssl_test.go", "crypto/x509 now parses brainpool keys; the own parser could be reconsidered", "notice"},
		{"web/wasm/wasm_test.go", "the committed module was built by go1.26.4, this toolchain is go1.26.8: rebuild with bash web/wasm/build.sh to compare", "other Go release"},

		{"t.SkipNow()", "", "unclassified"},
		{"a new skip", "the moon is not full", "unclassified"},
	}
	used := map[string]bool{}
	for _, c := range cases {
		r := classify(c.reason)
		if r.what != c.what {
			t.Errorf("%s: %q classified %q, want %q", c.where, c.reason, r.what, c.what)
		}
		used[r.what] = true
	}
	for _, r := range rules {
		if !used[r.what] {
			t.Errorf("rule %q matches no case here: add its message or drop it", r.what)
		}
		if r.why == "" {
			t.Errorf("rule %q says not why", r.what)
		}
	}
}

// TestVerdicts holds which kinds of skip fail a run.
func TestVerdicts(t *testing.T) {
	for _, r := range rules {
		want := allowed
		switch r.what {
		case "PostgreSQL", "PostgreSQL over TLS", "MRZ oracle", "face models", "test photos", "promtool", "browser":
			want = provided
		}
		if r.verdict != want {
			t.Errorf("rule %q: verdict %d, want %d", r.what, r.verdict, want)
		}
	}
	if noRule.verdict == allowed {
		t.Error("an unclassified skip passes")
	}
}
