#!/usr/bin/env bash
# deb-extract.sh DEST PACKAGE... downloads Debian packages with apt-get
# download (refreshing stale package lists once) and unpacks their files
# under DEST with dpkg-deb -x. Nothing is installed and no root is needed;
# the callers (test-images.sh, promtool.sh) copy out the few files they use.
set -euo pipefail

log() { printf 'deb-extract.sh: %s\n' "$*" >&2; }
[[ $# -ge 2 ]] || { log "usage: deb-extract.sh DEST PACKAGE..."; exit 2; }
dest="$1"
shift
command -v apt-get >/dev/null || { log "error: apt-get is needed to fetch Debian packages ($*)"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download "$@" >&2 2>"$work/err"; then
	log "package lists may be stale; running apt-get update"
	apt-get update -qq >&2
	apt-get download "$@" >&2
fi
mkdir -p "$dest"
for deb in ./*.deb; do
	dpkg-deb -x "$deb" "$dest"
done
