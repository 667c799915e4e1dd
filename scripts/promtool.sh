#!/usr/bin/env bash
# promtool.sh prints the path of a promtool binary, for the alert rule tests
# (infra/prometheus). It uses promtool from PATH when there is one;
# otherwise it downloads Debian's prometheus package with apt-get and
# unpacks only promtool into .idv/promtool: nothing is installed, no root
# is needed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dest="$root/.idv/promtool"
log() { printf 'promtool.sh: %s\n' "$*" >&2; }

if command -v promtool >/dev/null; then
	command -v promtool
	exit 0
fi
if [[ -x "$dest/promtool" ]]; then
	printf '%s\n' "$dest/promtool"
	exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$root/scripts/deb-extract.sh" "$work/x" prometheus
mkdir -p "$dest"
cp "$work/x/usr/bin/promtool" "$dest/promtool.part"
chmod 0755 "$dest/promtool.part"
mv "$dest/promtool.part" "$dest/promtool"
log "unpacked promtool ($("$dest/promtool" --version 2>&1 | head -n 1)) into $dest"
printf '%s\n' "$dest/promtool"
