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
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# opencv-doc is large (96 MB, 274 MB unpacked); only its three photos are kept.
pkgs=(python-matplotlib-data python3-imageio opencv-doc)
bash "$root/scripts/deb-extract.sh" "$work/x" "${pkgs[@]}"
mkdir -p "$dest"
for p in "${photos[@]}"; do
	found="$(find "$work/x" -name "$p" | head -n 1)"
	[[ -n "$found" ]] || { log "error: $p not found in ${pkgs[*]}"; exit 1; }
	cp "$found" "$dest/"
done
log "unpacked ${photos[*]} into $dest"
printf '%s\n' "$dest"
