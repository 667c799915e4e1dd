#!/usr/bin/env bash
# postgres.sh makes sure a PostgreSQL server is there for IDV and prints one
# line on stdout: a libpq URL usable as DATABASE_URL. Progress goes to stderr.
#
#   scripts/postgres.sh              URL of the server (database "postgres")
#   scripts/postgres.sh url DBNAME   same URL with database DBNAME, created if absent
#   scripts/postgres.sh tls          URL of a second cluster that takes TLS connections only
#   scripts/postgres.sh stop         stop the clusters this script started (only those)
#
# Where the server comes from, first match wins:
#   1. DATABASE_URL, if it is set and answers;
#   2. the cluster this script made earlier in .idv/postgres (started if stopped);
#   3. a new cluster there: trust auth, 127.0.0.1 only, a free port found by
#      probing (5432 is often someone else's), socket inside the data dir;
#      PostgreSQL itself is installed from Debian first if it is missing.
# As root, the cluster runs as the `postgres` user (initdb refuses root); if
# that user cannot reach the repository, the data dir moves to
# /var/tmp/idv-postgres-<hash of the repository path>.
#
# `tls` never uses DATABASE_URL: it makes (once) and starts a cluster of its
# own in .idv/postgres-tls/data (or <that fallback>/tls/data), for the tests
# of IDV's connections under sslmode=verify-full (infra/postgres/tls_test.go):
# ssl = on with a certificate for 127.0.0.1 and localhost signed by a CA made
# here with openssl (its ca.pem sits beside the data dir; its key is thrown
# away once it has signed), hostssl lines only in pg_hba.conf, so that a
# connection without TLS is refused, and no Unix socket. The URL it prints
# says sslmode=verify-full&sslrootcert=<that ca.pem>. A certificate that no
# longer verifies, or expires within 30 days, is made again (the cluster
# restarted).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
state="$root/.idv"
fallback="/var/tmp/idv-postgres-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
marker="idv-cluster" # file in the data dir: this script made this cluster
pg_user=postgres     # superuser name inside our cluster, whoever runs it
connect_timeout=3

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	sed -n '5,8p' "${BASH_SOURCE[0]}" | sed 's/^#  *//' >&2
	exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# answers URL: does the server behind URL run a query? psql's complaint goes
# to stderr indented, without the URL (it may hold a password).
answers() {
	local out
	out="$(PGCONNECT_TIMEOUT=$connect_timeout "$(psql_bin)" -X -w -Atq -d "$1" -c 'select 1' </dev/null 2>&1)" || {
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		return 1
	}
	[[ $out == 1 ]]
}

# bindir prints the directory of the newest installed server binaries, or of
# version $1 when given; nothing if there are none.
bindir() {
	local want="${1:-}" d
	if [[ -n $want ]]; then
		d="/usr/lib/postgresql/$want/bin"
		if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
			printf '%s\n' "$d"
		elif command -v pg_ctl >/dev/null && [[ $(pg_ctl --version) =~ \ ${want}[.\ ] ]]; then
			dirname "$(command -v pg_ctl)"
		fi
		return 0
	fi
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
		if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	# Not Debian's layout (Homebrew, a source build): take initdb from PATH.
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(command -v initdb)"
	fi
}

psql_bin() {
	local b
	b="$(bindir)"
	if [[ -n $b && -x $b/psql ]]; then
		printf '%s\n' "$b/psql"
	elif command -v psql >/dev/null; then
		command -v psql
	else
		for b in /usr/lib/postgresql/*/bin/psql; do
			[[ -x $b ]] && { printf '%s\n' "$b"; return 0; }
		done
		return 1
	fi
}

apt_install() {
	command -v apt-get >/dev/null ||
		die "PostgreSQL is not installed and this is not a Debian-like system: install it (initdb, pg_ctl, psql) or set DATABASE_URL"
	local sudo=()
	if ! is_root; then
		command -v sudo >/dev/null || die "installing $* needs root and there is no sudo; install it yourself or set DATABASE_URL"
		sudo=(sudo)
	fi
	log "installing Debian package(s) $* (apt-get update; apt-get install -y $*)"
	# Without our descriptors: a server the package starts must not hold them.
	(
		close_fds
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update </dev/null >&2
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y "$@" </dev/null >&2
	)
}

ensure_client() {
	psql_bin >/dev/null || apt_install postgresql-client
	psql_bin >/dev/null || die "psql still missing after installing postgresql-client"
}

ensure_server_binaries() {
	if [[ -z $(bindir) ]]; then
		log "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)"
		# Debian may create and start its own 'main' cluster on 5432: not ours, left alone.
		apt_install postgresql
		[[ -n $(bindir) ]] || die "initdb still missing after installing postgresql"
	fi
}

# locations KIND prints where a cluster of KIND (main or tls) may be, the
# preferred place first.
locations() {
	case "$1" in
	main) printf '%s\n' "$state/postgres" "$fallback/data" ;;
	tls) printf '%s\n' "$state/postgres-tls/data" "$fallback/tls/data" ;;
	*) die "no cluster kind $1" ;;
	esac
}

# cluster_dir KIND prints the data dir of the cluster of KIND this script
# made, if any.
cluster_dir() {
	local d
	while read -r d; do
		if [[ -f $d/PG_VERSION && -f $d/$marker ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done < <(locations "$1")
	return 1
}

# run_owner prints the OS user that must run the server binaries on DIR.
run_owner() {
	if is_root; then
		local owner
		owner="$(stat -c %U "$1" 2>/dev/null || echo "$pg_user")"
		[[ $owner == root ]] && owner=$pg_user
		printf '%s\n' "$owner"
	else
		id -un
	fi
}

# close_fds closes every descriptor above stderr: a server started from here
# must not keep our lock, nor a pipe some caller waits to see closed.
close_fds() {
	local f fd
	for f in /proc/"$BASHPID"/fd/*; do
		fd="${f##*/}"
		if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then
			exec {fd}>&- 2>/dev/null || true
		fi
	done
}

# as USER CMD...: run CMD as USER (initdb and pg_ctl refuse root), from / so an
# unreadable working directory does not matter, with no inherited descriptors.
as() {
	local user="$1"
	shift
	if is_root; then
		command -v runuser >/dev/null || die "runuser (util-linux) is needed to run PostgreSQL as $user"
	fi
	(
		close_fds
		cd /
		if is_root; then
			exec runuser -u "$user" -- "$@"
		fi
		exec "$@"
	)
}

conf_port() { sed -n 's/^port = \([0-9]*\).*/\1/p' "$1/postgresql.conf" | tail -n1; }

# running_port DIR prints the port of the running server on DIR, or fails.
running_port() {
	local dir="$1" bin pid
	bin="$(bindir "$(cat "$dir/PG_VERSION")")"
	[[ -n $bin ]] || die "cluster $dir needs PostgreSQL $(cat "$dir/PG_VERSION") binaries, not installed"
	as "$(run_owner "$dir")" "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1 || return 1
	# After a container restart the old pid may belong to another process now;
	# such a postmaster.pid would make both pg_ctl and the server believe the
	# cluster is up.
	pid="$(sed -n 1p "$dir/postmaster.pid")"
	if [[ -r /proc/$pid/comm ]] && ! grep -qE '^(postgres|postmaster)$' "/proc/$pid/comm"; then
		log "stale $dir/postmaster.pid (pid $pid is $(cat "/proc/$pid/comm"), not PostgreSQL); removing it"
		rm -f "$dir/postmaster.pid"
		return 1
	fi
	sed -n 4p "$dir/postmaster.pid"
}

port_taken() {
	# A connection accepted on 127.0.0.1 or a listener in ss means someone has it.
	if timeout 1 bash -c ": >/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
		return 0
	fi
	if command -v ss >/dev/null && ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
		return 0
	fi
	return 1
}

# free_port [AVOID] prints a port nobody listens on, not in the
# space-separated list AVOID and not set for a cluster of this script
# (our_ports), starting at a place derived from the repository path so that
# several checkouts rarely collide.
free_port() {
	local avoid start p i
	avoid=" ${1:-} $(our_ports) "
	start=$((15432 + $(printf '%s' "$root" | cksum | cut -d' ' -f1) % 500))
	for ((i = 0; i < 500; i++)); do
		p=$((start + i))
		[[ $avoid == *" $p "* ]] && continue
		port_taken "$p" || { printf '%s\n' "$p"; return 0; }
	done
	die "no free port in $start..$((start + 499))"
}

# our_ports prints the ports the clusters this script made are set to, so
# that a new cluster does not take the port of one that is stopped.
our_ports() {
	local kind d ports=""
	for kind in main tls; do
		if d="$(cluster_dir "$kind")"; then
			ports+=" $(conf_port "$d")"
		fi
	done
	printf '%s\n' "$ports"
}

set_port() {
	printf 'port = %s\n' "$2" >>"$1/postgresql.conf"
}

url_for_port() { printf 'postgres://%s@127.0.0.1:%s/postgres?sslmode=disable\n' "$pg_user" "$1"; }

# start DIR LOGFILE: start the cluster, moving to another port if its port was
# taken meanwhile (our own probe or someone else's server racing us).
start() {
	local dir="$1" logfile="$2" owner bin port tries size avoid=""
	owner="$(run_owner "$dir")"
	bin="$(bindir "$(cat "$dir/PG_VERSION")")"
	[[ -n $bin ]] || die "cluster $dir needs PostgreSQL $(cat "$dir/PG_VERSION") binaries, not installed"
	for ((tries = 0; tries < 5; tries++)); do
		port="$(conf_port "$dir")"
		if [[ -z $port || " $avoid " == *" $port "* ]] || port_taken "$port"; then
			[[ -n $port ]] && log "port $port is taken now; moving the cluster to another port"
			port="$(free_port "$avoid")"
			set_port "$dir" "$port"
		fi
		log "starting PostgreSQL $(cat "$dir/PG_VERSION") on 127.0.0.1:$port (data $dir, log $logfile)"
		size="$(stat -c %s "$logfile")"
		if as "$owner" "$bin/pg_ctl" start -s -D "$dir" -l "$logfile" -w -t 60 >&2; then
			return 0
		fi
		if tail -c "+$((size + 1))" "$logfile" | grep 'Address already in use' >/dev/null; then
			avoid+=" $port"
			continue
		fi
		tail -c "+$((size + 1))" "$logfile" | tail -n 20 | sed 's/^/    /' >&2
		die "pg_ctl start failed; see $logfile"
	done
	die "could not find a port to start on after $tries tries"
}

# pick_location KIND prints where a new cluster of KIND goes: under .idv
# unless we are root and the postgres user cannot reach the repository.
pick_location() {
	local preferred other
	{
		read -r preferred
		read -r other
	} < <(locations "$1")
	if ! is_root; then
		printf '%s\n' "$preferred"
		return 0
	fi
	id -u "$pg_user" >/dev/null 2>&1 || die "running as root but there is no '$pg_user' user to run PostgreSQL as"
	if runuser -u "$pg_user" -- test -x "$state" 2>/dev/null; then
		printf '%s\n' "$preferred"
	else
		log "user $pg_user cannot traverse $state (a parent directory is closed to it);"
		log "using $other for the cluster instead"
		printf '%s\n' "$other"
	fi
}

# create_cluster DIR LOGFILE [SETUP]: initdb, configure (SETUP DIR adds to
# the configuration, before the marker says the cluster is complete), start.
create_cluster() {
	local dir="$1" logfile="$2" setup="${3:-}" bin owner port sockdir t0
	bin="$(bindir)"
	t0=$SECONDS
	log "creating a new PostgreSQL cluster with $bin/initdb in $dir"
	mkdir -p "$dir"
	chmod 700 "$dir"
	if is_root; then
		chown "$pg_user:" "$dir"
	fi
	owner="$(run_owner "$dir")"
	local out
	# initdb's chatter (and its "now start the server with" advice) only on failure.
	out="$(as "$owner" "$bin/initdb" -D "$dir" -U "$pg_user" --auth=trust --encoding=UTF8 --no-locale 2>&1)" || {
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		die "initdb failed in $dir"
	}
	port="$(free_port)"
	sockdir="$dir"
	# A Unix socket path is limited to 107 bytes; past that, TCP only.
	if ((${#sockdir} + 18 > 107)); then
		log "data dir path too long for a Unix socket; the cluster listens on TCP only"
		sockdir=""
	fi
	{
		printf '\n# Written by scripts/postgres.sh for IDV development and tests.\n'
		printf "listen_addresses = '127.0.0.1'\n"
		printf "unix_socket_directories = '%s'\n" "$sockdir"
	} >>"$dir/postgresql.conf"
	set_port "$dir" "$port"
	if [[ -n $setup ]]; then
		"$setup" "$dir"
	fi
	printf '%s\n' "$root" >"$dir/$marker"
	start "$dir" "$logfile"
	log "cluster created and started in $((SECONDS - t0))s"
}

logfile_for() {
	local dir="$1" logfile
	if [[ $dir == "$state/postgres" ]]; then
		logfile="$state/postgres.log"
	else
		logfile="$(dirname "$dir")/postgres.log"
	fi
	touch "$logfile"
	if is_root; then
		chown "$(run_owner "$dir"):" "$logfile"
	fi
	printf '%s\n' "$logfile"
}

# ensure_server prints the URL of a server that answers.
ensure_server() {
	if [[ -n ${DATABASE_URL:-} ]]; then
		ensure_client
		if answers "$DATABASE_URL"; then
			log "using DATABASE_URL (it answers)"
			printf '%s\n' "$DATABASE_URL"
			return 0
		fi
		log "DATABASE_URL is set but does not answer; falling back to the local cluster"
	fi
	ensure_server_binaries
	ensure_client
	lock_state
	ensure_cluster main
	local url
	url="$(url_for_port "$cluster_port")"
	answers "$url" || die "cluster in $cluster_data runs but does not answer on $url"
	printf '%s\n' "$url"
}

# lock_state makes .idv and takes its lock on descriptor 9, which the shell
# holds until it exits: one caller at a time past here, two parallel first
# runs must not both initdb.
lock_state() {
	mkdir -p "$state" || die "cannot create $state"
	if is_root; then
		chmod go+rx "$state" # the postgres user must get through it
	fi
	[[ -e $state/postgres.lock ]] || : >"$state/postgres.lock"
	exec 9<"$state/postgres.lock"
	if command -v flock >/dev/null; then
		flock -w 180 9 || die "timed out waiting for another scripts/postgres.sh"
	fi
}

# ensure_cluster KIND [SETUP] finds, starts or creates (create_cluster DIR
# LOGFILE SETUP) the cluster of KIND and sets cluster_data and cluster_port
# to its data dir and port. Call it holding the lock.
ensure_cluster() {
	local kind="$1" setup="${2:-}" dir port parent
	if dir="$(cluster_dir "$kind")"; then
		if port="$(running_port "$dir")"; then
			log "cluster in $dir is running on 127.0.0.1:$port"
		else
			log "cluster in $dir is stopped"
			start "$dir" "$(logfile_for "$dir")"
			port="$(running_port "$dir")" || die "cluster in $dir did not stay up; see its log"
		fi
	else
		dir="$(pick_location "$kind")"
		if [[ -e $dir && -n $(ls -A "$dir" 2>/dev/null) ]]; then
			die "$dir exists but is not a cluster made by this script; move it away"
		fi
		parent="$(dirname "$dir")"
		if [[ $parent != "$state" ]]; then
			mkdir -p "$parent"
			chmod 755 "$parent"
			if [[ $parent == "$fallback"/* ]]; then
				chmod 755 "$fallback"
			fi
		fi
		create_cluster "$dir" "$(logfile_for "$dir")" "$setup"
		port="$(running_port "$dir")" || die "cluster in $dir did not stay up; see its log"
	fi
	cluster_data="$dir"
	cluster_port="$port"
}

# ca_for DIR prints the path of the CA certificate of the TLS cluster in DIR.
ca_for() { printf '%s/ca.pem\n' "$(dirname "$1")"; }

# quiet_openssl ARGS...: openssl, its output shown only if it fails.
quiet_openssl() {
	local out
	out="$(openssl "$@" 2>&1 </dev/null)" || {
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		die "openssl $1 failed"
	}
}

# make_certs DIR: a new CA and, signed by it, a certificate for 127.0.0.1
# and localhost, with its key, in the data dir DIR as the server's user's
# (the key 0600, as PostgreSQL requires); the CA's certificate goes beside
# DIR. The CA's key exists only in a private temporary directory, so nothing
# else can ever be signed with it.
make_certs() {
	local dir="$1" days=3650 ca
	ca="$(ca_for "$dir")"
	certs_tmp="$(mktemp -d)" # mode 0700
	trap 'rm -rf "$certs_tmp"' EXIT
	printf '%s\n' '[req]' 'distinguished_name = dn' '[dn]' \
		'[ca]' 'basicConstraints = critical,CA:true' 'keyUsage = critical,keyCertSign,cRLSign' \
		'subjectKeyIdentifier = hash' \
		'[server]' 'basicConstraints = critical,CA:false' 'keyUsage = critical,digitalSignature' \
		'extendedKeyUsage = serverAuth' 'subjectAltName = IP:127.0.0.1,DNS:localhost' \
		'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' >"$certs_tmp/openssl.cnf"
	log "making a CA and a certificate for 127.0.0.1 and localhost signed by it (openssl)"
	quiet_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$certs_tmp/ca.key"
	quiet_openssl req -new -x509 -config "$certs_tmp/openssl.cnf" -extensions ca -key "$certs_tmp/ca.key" \
		-subj "/CN=IDV test CA made by postgres.sh tls" -days "$days" -out "$certs_tmp/ca.pem"
	quiet_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$certs_tmp/server.key"
	quiet_openssl req -new -config "$certs_tmp/openssl.cnf" -key "$certs_tmp/server.key" \
		-subj "/CN=localhost" -out "$certs_tmp/server.csr"
	quiet_openssl x509 -req -in "$certs_tmp/server.csr" -CA "$certs_tmp/ca.pem" -CAkey "$certs_tmp/ca.key" \
		-set_serial "0x$(openssl rand -hex 16)" -days "$days" \
		-extfile "$certs_tmp/openssl.cnf" -extensions server -out "$certs_tmp/server.crt"
	install -m 600 "$certs_tmp/server.key" "$dir/server.key"
	install -m 644 "$certs_tmp/server.crt" "$dir/server.crt"
	if is_root; then
		chown "$(run_owner "$dir"):" "$dir/server.key" "$dir/server.crt"
	fi
	install -m 644 "$certs_tmp/ca.pem" "$ca.part"
	mv "$ca.part" "$ca"
	rm -rf "$certs_tmp"
	trap - EXIT
}

# certs_ok DIR: the certificate in DIR verifies against the CA beside DIR for
# both names and is good for 30 days more.
certs_ok() {
	local dir="$1" ca
	ca="$(ca_for "$dir")"
	[[ -f $dir/server.key && -f $dir/server.crt && -f $ca ]] &&
		openssl verify -CAfile "$ca" -verify_ip 127.0.0.1 "$dir/server.crt" >/dev/null 2>&1 &&
		openssl verify -CAfile "$ca" -verify_hostname localhost "$dir/server.crt" >/dev/null 2>&1 &&
		openssl x509 -checkend $((30 * 86400)) -noout -in "$dir/server.crt" >/dev/null 2>&1
}

# tls_setup DIR makes the new cluster in DIR take TLS connections only:
# certificates, ssl = on, no Unix socket, and a pg_hba.conf whose only line
# is hostssl, so that a connection without TLS matches none and is refused.
tls_setup() {
	local dir="$1"
	make_certs "$dir"
	{
		printf '\n# TLS only (scripts/postgres.sh tls).\n'
		printf "unix_socket_directories = ''\n"
		printf 'ssl = on\n'
		printf "ssl_cert_file = 'server.crt'\n"
		printf "ssl_key_file = 'server.key'\n"
	} >>"$dir/postgresql.conf"
	printf '%s\n' '# Written by scripts/postgres.sh tls: TLS connections from 127.0.0.1, nothing else.' \
		'# TYPE  DATABASE  USER  ADDRESS       METHOD' \
		'hostssl all       all   127.0.0.1/32  trust' >"$dir/pg_hba.conf"
}

# url_escape S prints S with every byte but A-Z a-z 0-9 / . _ ~ - percent-encoded.
url_escape() {
	local LC_ALL=C s="$1" out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[A-Za-z0-9/._~-]) out+="$c" ;;
		*) out+="$(printf '%%%02X' "'$c")" ;;
		esac
	done
	printf '%s\n' "$out"
}

# ensure_tls_server prints the URL of the TLS cluster, sslmode=verify-full
# against its CA, once it answers on that URL.
ensure_tls_server() {
	ensure_server_binaries
	ensure_client
	command -v openssl >/dev/null || apt_install openssl
	command -v openssl >/dev/null || die "openssl still missing after installing openssl"
	lock_state
	local dir url
	if dir="$(cluster_dir tls)" && ! certs_ok "$dir"; then
		log "the certificate in $dir does not verify against $(ca_for "$dir") or expires within 30 days; making new ones"
		make_certs "$dir"
		# Stopped rather than reloaded: a reload is taken up at some point
		# after pg_ctl returns, a start is complete when it does.
		stop_cluster tls "TLS "
	fi
	ensure_cluster tls tls_setup
	url="postgres://$pg_user@127.0.0.1:$cluster_port/postgres?sslmode=verify-full&sslrootcert=$(url_escape "$(ca_for "$cluster_data")")"
	answers "$url" || die "cluster in $cluster_data runs but does not answer on $url"
	printf '%s\n' "$url"
}

# with_db URL NAME: URL naming database NAME instead.
with_db() {
	local url="$1" db="$2"
	if [[ $url =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]]; then
		printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[4]}"
	else # key=value conninfo: the last dbname wins
		printf '%s dbname=%s\n' "$url" "$db"
	fi
}

db_exists() {
	local out
	out="$(printf '%s\n' "select 1 from pg_database where datname = :'db';" |
		PGCONNECT_TIMEOUT=$connect_timeout "$(psql_bin)" -X -w -Atq -v ON_ERROR_STOP=1 -v db="$2" -d "$1")" ||
		die "cannot list databases"
	[[ $out == 1 ]]
}

cmd_url() {
	local db="${1:-}" server
	[[ $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "url: DBNAME must be letters, digits and _ (got '$db')"
	server="$(ensure_server)"
	if ! db_exists "$server" "$db"; then
		log "creating database $db"
		if ! printf '%s\n' 'create database :"db";' |
			"$(psql_bin)" -X -w -q -v ON_ERROR_STOP=1 -v db="$db" -d "$server" >&2; then
			db_exists "$server" "$db" || die "cannot create database $db"
		fi
	fi
	with_db "$server" "$db"
}

cmd_stop() {
	stop_cluster main ""
	stop_cluster tls "TLS "
}

# stop_cluster KIND LABEL stops the cluster of KIND this script made, if it runs.
stop_cluster() {
	local kind="$1" label="$2" dir bin preferred other
	if ! dir="$(cluster_dir "$kind")"; then
		{
			read -r preferred
			read -r other
		} < <(locations "$kind")
		log "no ${label}cluster made by this script (looked in $preferred and $other); nothing to stop"
		return 0
	fi
	if ! running_port "$dir" >/dev/null; then
		log "cluster in $dir is not running"
		return 0
	fi
	bin="$(bindir "$(cat "$dir/PG_VERSION")")"
	log "stopping the cluster in $dir"
	as "$(run_owner "$dir")" "$bin/pg_ctl" stop -s -D "$dir" -m fast -w >&2
}

case "${1:-}" in
"") ensure_server ;;
url)
	[[ $# -eq 2 ]] || usage
	cmd_url "$2"
	;;
tls)
	[[ $# -eq 1 ]] || usage
	ensure_tls_server
	;;
stop)
	[[ $# -eq 1 ]] || usage
	cmd_stop
	;;
*) usage ;;
esac
