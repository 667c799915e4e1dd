#!/usr/bin/env bash
# ocrb-font.sh prints the path of OCRB.otf, the OCR-B font of Debian's
# fonts-ocr-b (public domain), with OCRBS.otf (OCR B Sharp) beside it. It uses the installed package when there is
# one; otherwise it downloads the .deb with apt-get and unpacks only the
# two fonts into .idv/fonts: nothing is installed. Only the glyph atlas generator
# (go generate ./document/ocrb/glyph) needs it; the atlas it
# writes is committed, so neither the tests nor the runtime do.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
installed=/usr/share/fonts/opentype/ocr-b
dest="$root/.idv/fonts"
log() { printf 'ocrb-font.sh: %s\n' "$*" >&2; }

for d in "$installed" "$dest"; do
	if [[ -s "$d/OCRB.otf" && -s "$d/OCRBS.otf" ]]; then
		printf '%s\n' "$d/OCRB.otf"
		exit 0
	fi
done
command -v apt-get >/dev/null || { log "error: apt-get is needed to fetch fonts-ocr-b"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download fonts-ocr-b >&2 2>"$work/err"; then
	log "package lists may be stale; running apt-get update"
	apt-get update -qq >&2
	apt-get download fonts-ocr-b >&2
fi
dpkg-deb -x ./fonts-ocr-b_*.deb "$work/x"
mkdir -p "$dest"
cp "$work/x/usr/share/fonts/opentype/ocr-b/"{OCRB,OCRBS}.otf "$dest/"
log "unpacked OCRB.otf and OCRBS.otf into $dest"
printf '%s\n' "$dest/OCRB.otf"
