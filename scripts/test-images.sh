#!/usr/bin/env bash
# test-images.sh puts the lawful test photos the face engine's tests use —
# grace_hopper.jpg (Debian python-matplotlib-data) and astronaut.png (Debian
# python3-imageio) — into .idv/test-images and prints that directory. It
# downloads the two .deb packages with apt-get and unpacks only the photos:
# nothing is installed, and no photo is ever committed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dest="$root/.idv/test-images"
log() { printf 'test-images.sh: %s\n' "$*" >&2; }

if [[ -s "$dest/grace_hopper.jpg" && -s "$dest/astronaut.png" ]]; then
	printf '%s\n' "$dest"
	exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$root/scripts/deb-extract.sh" "$work/x" python-matplotlib-data python3-imageio
mkdir -p "$dest"
cp "$work/x/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg" "$dest/"
cp "$(find "$work/x" -name astronaut.png | head -n 1)" "$dest/"
log "unpacked grace_hopper.jpg and astronaut.png into $dest"
printf '%s\n' "$dest"
