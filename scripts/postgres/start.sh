#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 + pgvector cluster for tests; prints its URL as the last
# (only) line on stdout, e.g.  postgres://postgres@127.0.0.1:54329/facenet_test
#
#   scripts/postgres/start.sh [DIR] [PORT]
#     DIR   cluster directory (default /tmp/facenet-pg; env FACENET_PG_DIR)
#     PORT  TCP port on 127.0.0.1 (default 54329; env FACENET_PG_PORT); "auto" takes the first
#           free port from 54330 up
#
# Idempotent: when DIR's cluster is already running, it only makes sure the database and the
# extension exist and prints the URL; a stopped cluster in DIR is started again, data kept.
# Durability is off (fsync, synchronous_commit, full_page_writes): a crash may lose the data,
# which is fine for tests and only for tests. Auth is trust, reachable only via 127.0.0.1
# and a Unix socket inside DIR. Requires scripts/postgres/install.sh to have run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="${1:-${FACENET_PG_DIR:-$PG_DEFAULT_DIR}}"
PORT_ARG="${2:-${FACENET_PG_PORT:-}}"
T_ALL=$(now)

[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL ${PG_MAJOR} at $PG_BIN; run scripts/postgres/install.sh"
case "$PORT_ARG" in ''|auto) ;; *[!0-9]*) die "bad port '$PORT_ARG'" ;; esac
pg_user_setup

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
DATA="$DIR/data"
if [ ! -e "$DIR/$PG_MARKER" ]; then
  [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty and was not made by start.sh; pick another DIR"
  touch "$DIR/$PG_MARKER"
fi
[ "$(id -u)" -ne 0 ] || chown "$PG_OS_USER:" "$DIR" "$DIR/$PG_MARKER"
as_pg test -w "$DIR" || die "$PG_OS_USER cannot write $DIR (is a parent directory private?)"

# One start.sh at a time per DIR.
exec 9<"$DIR"
flock -w 120 9 || die "timed out waiting for another start.sh on $DIR"

url() { printf 'postgres://postgres@127.0.0.1:%s/%s\n' "$1" "$PG_DB"; }
conf_port() { [ -f "$DATA/facenet.conf" ] && sed -n 's/^port = \([0-9]*\).*/\1/p' "$DATA/facenet.conf" | tail -n1 || true; }

write_conf() {   # $1 = port
  local sock="$DIR"
  [ ${#sock} -lt 90 ] || sock=""   # sun_path limit: no Unix socket for very long paths
  as_pg tee "$DATA/facenet.conf" >/dev/null <<CONF
# Written by scripts/postgres/start.sh: a throwaway test cluster.
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 128MB
maintenance_work_mem = 256MB
log_min_messages = warning
CONF
}

if [ -f "$DATA/PG_VERSION" ]; then
  PORT=$(conf_port)   # empty when an earlier start.sh stopped between initdb and its first start
  if [ -n "$PORT" ] && pg_running "$DATA"; then
    [ -z "$PORT_ARG" ] || [ "$PORT_ARG" = auto ] || [ "$PORT_ARG" = "$PORT" ] ||
      log "note: cluster in $DIR is already running on port $PORT (not $PORT_ARG)"
    log "already running: $DIR (port $PORT)"
    STARTED=0
  else
    STARTED=1
  fi
else
  # A fresh cluster (but first fail fast on a taken port).
  case "$PORT_ARG" in auto) ;; *) p=${PORT_ARG:-$PG_DEFAULT_PORT}
    ! port_open "$p" || die "port $p on 127.0.0.1 is taken by another server; pass another PORT (or \"auto\")" ;;
  esac
  T=$(now)
  rm -rf "$DATA"
  as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
    --no-sync --no-instructions >"$DIR/initdb.log" 2>&1 ||
    { tail -n 20 "$DIR/initdb.log" >&2; die "initdb failed (log: $DIR/initdb.log)"; }
  as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'HBA'
# Written by scripts/postgres/start.sh: trust, loopback and this cluster's own socket only.
local all all              trust
host  all all 127.0.0.1/32 trust
HBA
  printf "\ninclude 'facenet.conf'\n" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
  log "initdb in $(since "$T")"
  PORT=""
  STARTED=1
fi

if [ "$STARTED" = 1 ]; then
  T=$(now)
  case "$PORT_ARG" in
    auto) candidates=$(seq 54330 54429) ;;
    '')   candidates=${PORT:-$PG_DEFAULT_PORT} ;;
    *)    candidates=$PORT_ARG ;;
  esac
  ok=0
  for p in $candidates; do
    if port_open "$p"; then
      [ "$PORT_ARG" = auto ] && continue
      die "port $p on 127.0.0.1 is taken by another server; pass another PORT (or \"auto\")"
    fi
    write_conf "$p"
    if as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/postgres.log" -w -t 60 start >/dev/null 9<&-; then   # the server must not inherit the lock
      PORT=$p; ok=1; break
    fi
    # Lost a race for an "auto" port: try the next one; otherwise report the log.
    if [ "$PORT_ARG" = auto ] && grep -q 'could not bind\|Address already in use' "$DIR/postgres.log"; then
      continue
    fi
    tail -n 20 "$DIR/postgres.log" >&2 || true
    die "postgres did not start (log: $DIR/postgres.log)"
  done
  [ "$ok" = 1 ] || die "no free port for postgres"
  log "postgres started on 127.0.0.1:$PORT in $(since "$T") (log: $DIR/postgres.log)"
fi

PSQL=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $PG_DB" >&2
fi
"${PSQL[@]}" -d "$PG_DB" -c "CREATE EXTENSION IF NOT EXISTS vector" >&2 ||
  die "CREATE EXTENSION vector failed; run scripts/postgres/install.sh"
v=$("${PSQL[@]}" -d "$PG_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
url "$PORT" > "$DIR/url"
log "ready in $(since "$T_ALL"): PostgreSQL $("${PSQL[@]}" -d "$PG_DB" -c 'SHOW server_version' | awk '{print $1}'), pgvector $v, data $DATA"
url "$PORT"
