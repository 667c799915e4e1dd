#!/usr/bin/env bash
# build.sh builds the capture page's checks of a camera frame (this
# directory's package main, over packages document/framecheck and
# face/presence) to WebAssembly with the standard Go toolchain, into
# producers/capturepage/wasm (or the directory given as the first
# argument), which producers/capturepage embeds and serves:
#
#   check.wasm.gz  the module, GOOS=js GOARCH=wasm, -trimpath -buildvcs=false
#                  -ldflags='-s -w', gzipped by ./pack (compress/gzip at
#                  BestCompression, no name or time in the header); the
#                  raw module is not kept: the server sends these bytes to
#                  a browser as they are (Content-Encoding: gzip)
#   wasm_exec.js   the JS glue of the same toolchain ($(go env GOROOT)/lib/wasm)
#   toolchain.txt  the Go version that built them
#
# The build is deterministic: the same sources and Go version give the same
# bytes, gzipped ones included (TestCommittedWasmUpToDate compares). It
# prints the module's size, raw, gzipped and, when node is there, brotli
# (quality 11, five seconds' work, which --no-brotli leaves out, as the
# tests do), to stderr:
#
#   bash web/wasm/build.sh && git status producers/capturepage/wasm
#   bash web/wasm/build.sh --no-brotli /tmp/wasm
set -euo pipefail

brotli=yes
if [[ ${1:-} == --no-brotli ]]; then
	brotli=no
	shift
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"
out="${1:-$root/producers/capturepage/wasm}"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"

me=build.sh
. "$root/scripts/lib.sh"

cd "$root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Nothing from the caller's environment changes the bytes: no GOFLAGS, the
# toolchain's own experiments and WebAssembly features, no cgo.
GOFLAGS=-mod=readonly GOEXPERIMENT= GOWASM= CGO_ENABLED=0 GOOS=js GOARCH=wasm \
	go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$tmp/check.wasm" ./web/wasm ||
	die "go build failed"
GOFLAGS=-mod=readonly go run ./web/wasm/pack <"$tmp/check.wasm" >"$tmp/check.wasm.gz" ||
	die "gzip (go run ./web/wasm/pack) failed"
mv "$tmp/check.wasm.gz" "$out/check.wasm.gz"
rm -f "$out/check.wasm" # left by an earlier build.sh, which kept it raw
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
chmod 0644 "$out/check.wasm.gz" "$out/wasm_exec.js"
go env GOVERSION >"$out/toolchain.txt"

raw=$(wc -c <"$tmp/check.wasm")
gz=$(wc -c <"$out/check.wasm.gz")
sizes="$raw bytes, $gz gzipped"
if [[ $brotli == yes ]] && command -v node >/dev/null; then
	br=$(node -e '
		const zlib = require("zlib"), b = require("fs").readFileSync(process.argv[1]);
		const q = { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length };
		console.log(zlib.brotliCompressSync(b, { params: q }).length);' "$tmp/check.wasm")
	sizes+=", $br brotli"
elif [[ $brotli == yes ]]; then
	sizes+=", brotli not measured (no node)"
fi
log "$out/check.wasm.gz ($(cat "$out/toolchain.txt")): $sizes"
