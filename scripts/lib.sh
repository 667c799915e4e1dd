# lib.sh holds what the set-up scripts share. A script sets `me` to its own
# name and sources it:
#
#   me=browser.sh; . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Its functions report on stderr, as the scripts' progress goes there.

log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt_install PACKAGE... installs Debian packages as root, or through sudo
# when it needs no password. It fails, installing nothing, where there is
# no apt-get or neither root nor such a sudo.
apt_install() {
	command -v apt-get >/dev/null || return 1
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		sudo -n true 2>/dev/null || return 1
		sudo=(sudo -n)
	fi
	log "installing Debian package(s) $* (apt-get update; apt-get install -y $*)"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" </dev/null >&2
}
