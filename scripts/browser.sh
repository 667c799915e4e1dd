#!/usr/bin/env bash
# browser.sh prepares the capture page's toolchain and its browser test:
# Debian's chromium (installed with apt-get only when /usr/bin/chromium is
# absent) and the npm packages pinned in web/package-lock.json (esbuild,
# @hpke/core, @hpke/hybridkem-x-wing, playwright-core, axe-core) into web/node_modules.
# npm ci refuses a tarball whose integrity differs from the lock file's, and
# install scripts are not run (esbuild's binary comes from its pinned
# optional dependency @esbuild/linux-x64). It prints the two variables the
# browser test reads, ready for eval:
#
#   eval "$(scripts/browser.sh)" && go test -run TestCapturePage ./cmd/idv
#
# Progress goes to stderr. Running it again does nothing when both are there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
web="$root/web"
chromium="${IDV_CHROMIUM:-/usr/bin/chromium}"

me=browser.sh
. "$root/scripts/lib.sh"

if [[ ! -x "$chromium" ]]; then
	apt_install chromium ||
		die "$chromium is missing; install Debian's chromium (apt-get install chromium) or set IDV_CHROMIUM"
fi
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are required (Node.js 18 or later)"

installed() {
	# A copy of the lock file npm ci installed from is kept beside the
	# packages; any change to the lock (a version bump) means installing again.
	cmp -s "$web/package-lock.json" "$web/node_modules/.idv-package-lock.json" &&
		[[ -f "$web/node_modules/playwright-core/package.json" && -f "$web/node_modules/esbuild/package.json" ]]
}

if ! installed; then
	log "npm ci in $web"
	(cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 || die "npm ci failed in $web"
	cp "$web/package-lock.json" "$web/node_modules/.idv-package-lock.json"
fi
printf 'export IDV_CHROMIUM=%q IDV_WEB_NODE_MODULES=%q\n' "$chromium" "$web/node_modules"
