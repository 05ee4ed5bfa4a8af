#!/usr/bin/env bash
# Stop the test cluster started by start.sh and delete its directory.
#
#   scripts/postgres/stop.sh [DIR]     (default /tmp/facenet-pg; env FACENET_PG_DIR)
#
# Deletes DIR only when start.sh made it (it carries start.sh's marker file).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="${1:-${FACENET_PG_DIR:-$PG_DEFAULT_DIR}}"
T=$(now)
if [ ! -e "$DIR" ]; then
  log "nothing at $DIR"
  exit 0
fi
[ -e "$DIR/$PG_MARKER" ] || die "$DIR was not made by start.sh; not touching it"
pg_user_setup
DATA="$DIR/data"
if pg_running "$DATA"; then
  as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null ||
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null ||
    die "could not stop the server in $DATA"
  log "stopped the server in $DATA"
fi
rm -rf "$DIR"
log "removed $DIR in $(since "$T")"
