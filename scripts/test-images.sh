#!/usr/bin/env bash
# test-images.sh puts the lawful test photos the face engine's tests and
# `idv eval` use — grace_hopper.jpg (Debian python-matplotlib-data),
# astronaut.png (Debian python3-imageio), messi5.jpg, basketball1.png and
# basketball2.png (Debian opencv-doc) — into .idv/test-images and prints that
# directory. It downloads the .deb packages with apt-get and unpacks only the
# photos: nothing is installed, and no photo is ever committed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dest="$root/.idv/test-images"
log() { printf 'test-images.sh: %s\n' "$*" >&2; }

photos=(grace_hopper.jpg astronaut.png messi5.jpg basketball1.png basketball2.png)
have=1
for p in "${photos[@]}"; do [[ -s "$dest/$p" ]] || have=0; done
if ((have)); then
	printf '%s\n' "$dest"
	exit 0
fi
command -v apt-get >/dev/null || { log "error: apt-get is needed to fetch Debian's test photos"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# opencv-doc is large (96 MB); only its three photos are unpacked.
pkgs=(python-matplotlib-data python3-imageio opencv-doc)
if ! apt-get download "${pkgs[@]}" >&2 2>"$work/err"; then
	log "package lists may be stale; running apt-get update"
	apt-get update -qq >&2
	apt-get download "${pkgs[@]}" >&2
fi
mkdir -p "$work/x" "$dest"
for deb in ./*.deb; do
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" --wildcards \
		'*/grace_hopper.jpg' '*/astronaut.png' '*/messi5.jpg' '*/basketball[12].png' 2>/dev/null || true
done
for p in "${photos[@]}"; do
	found="$(find "$work/x" -name "$p" | head -n 1)"
	[[ -n "$found" ]] || { log "error: $p not found in ${pkgs[*]}"; exit 1; }
	cp "$found" "$dest/"
done
log "unpacked ${photos[*]} into $dest"
printf '%s\n' "$dest"
