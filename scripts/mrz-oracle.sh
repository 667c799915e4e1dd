#!/usr/bin/env bash
# mrz-oracle.sh installs the test oracle of document/mrz — the npm
# package mrz (cheminfo, MIT), at the version and tarball integrity pinned in
# document/mrz/testdata/oracle/package-lock.json — into
# .idv/npm/mrz-oracle, and prints that directory on stdout. Progress goes to
# stderr. Running it again does nothing unless the pinned lock file changed.
#
#   IDV_MRZ_ORACLE="$(scripts/mrz-oracle.sh)" go test ./document/mrz
#
# Needs node and npm; with neither present, it installs Debian's nodejs and
# npm first (as root or through a sudo that needs no password). npm ci refuses a tarball whose integrity
# differs from the lock file's, and install scripts are not run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
src="$root/document/mrz/testdata/oracle"
dest="$root/.idv/npm/mrz-oracle"

me=mrz-oracle.sh
. "$root/scripts/lib.sh"

[[ -f "$src/package.json" && -f "$src/package-lock.json" ]] || die "pinned manifest missing in $src"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt_install nodejs npm ||
		die "node and npm are required (Node.js 18 or later)"
fi

installed() {
	cmp -s "$src/package-lock.json" "$dest/package-lock.json" &&
		cmp -s "$src/package.json" "$dest/package.json" &&
		[[ -f "$dest/node_modules/mrz/package.json" ]] &&
		[[ -f "$dest/node_modules/.package-lock.json" ]]
}

if ! installed; then
	log "installing into $dest"
	mkdir -p "$dest"
	cp "$src/package.json" "$src/package-lock.json" "$dest/"
	(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 ||
		die "npm ci failed in $dest"
	installed || die "install in $dest is incomplete"
fi
printf '%s\n' "$dest"
