# Shared by start.sh and stop.sh (sourced, not run).
PG_MAJOR=15
PG_BIN="${FACENET_PG_BIN:-/usr/lib/postgresql/${PG_MAJOR}/bin}"
PG_DB=facenet_test
PG_DEFAULT_DIR=/tmp/facenet-pg
PG_DEFAULT_PORT=54329
PG_MARKER=.facenet-pg   # start.sh's mark on a directory it owns; stop.sh deletes only marked ones

log() { printf 'postgres/%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# initdb and postgres refuse to run as root: as root, the server runs as the `postgres` OS user
# (created when missing); otherwise as the calling user.
pg_user_setup() {
  if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
    if ! id "$PG_OS_USER" >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
        --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
  else
    PG_OS_USER=$(id -un)
  fi
}
as_pg() {
  if [ "$(id -u)" -eq 0 ] && [ "$PG_OS_USER" != root ]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_running() { [ -f "$1/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }
