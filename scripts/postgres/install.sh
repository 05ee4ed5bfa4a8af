#!/usr/bin/env bash
# Install PostgreSQL 15 and pgvector for the Postgres store tests (Debian 12 "bookworm").
#
# Debian 12 ships PostgreSQL 15 but no pgvector built for it, so pgvector is built from
# Debian's own source package of the next release (trixie) against PG 15's pg_config.
# The mirror is read from this machine's apt sources; no host name lives in the repo.
# The trixie deb-src entry, its indexes and the build tree live in a temporary directory
# that is removed afterwards: the machine's apt configuration is not changed.
#
# Idempotent: does nothing when PG 15's server and the pgvector extension are installed.
#
# Environment:
#   PGVECTOR_VERSION   upstream pgvector version to build (default 0.8.0; "any" takes trixie's)
#   DEBIAN_MIRROR      Debian archive URI to fetch the source from (default: the machine's own)
#   PGVECTOR_SUITE     Debian suite that has the wanted pgvector source (default trixie)
set -euo pipefail

PG_MAJOR=15
PGVECTOR_VERSION="${PGVECTOR_VERSION:-0.8.0}"
PGVECTOR_SUITE="${PGVECTOR_SUITE:-trixie}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BIN}/pg_config"
VECTOR_CONTROL="/usr/share/postgresql/${PG_MAJOR}/extension/vector.control"

log() { printf 'postgres/install: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

T_ALL=$(now)

installed_vector_version() {
  [ -f "$VECTOR_CONTROL" ] || return 1
  sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$VECTOR_CONTROL"
}

if [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && have=$(installed_vector_version); then
  if [ "$PGVECTOR_VERSION" = any ] || [ "$have" = "$PGVECTOR_VERSION" ]; then
    log "PostgreSQL ${PG_MAJOR} and pgvector ${have} already installed; nothing to do"
    exit 0
  fi
  log "pgvector ${have} installed but ${PGVECTOR_VERSION} wanted; rebuilding"
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or have sudo) to install packages"
  SUDO=(sudo)
fi

. /etc/os-release
[ "${ID:-}" = debian ] || die "expects Debian, found ${PRETTY_NAME:-unknown}"
CODENAME="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"

WORK=$(mktemp -d -t facenet-pginstall.XXXXXX)
POLICY_ADDED=0
cleanup() {
  if [ "$POLICY_ADDED" = 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
  "${SUDO[@]}" rm -rf "$WORK"
}
trap cleanup EXIT

APT_GET=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)

# --- 1. Packages: PostgreSQL 15 server, its headers, a compiler, dpkg-source -----------------
T=$(now)
PKGS=(postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR} gcc make dpkg-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  # Keep the Debian-packaged cluster (15/main, port 5432) from being started by the install:
  # a policy-rc.d that denies service starts, only for the duration of this script.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    POLICY_ADDED=1
  fi
  "${APT_GET[@]}" update >&2
  "${APT_GET[@]}" install -y --no-install-recommends "${missing[@]}" >&2
  if [ "$POLICY_ADDED" = 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; POLICY_ADDED=0; fi
  log "packages installed in $(since "$T")"
else
  log "packages already installed: ${PKGS[*]}"
fi
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG missing after install"

# --- 2. Find the Debian archive this machine already uses -----------------------------------
# Prints "URI KEYRING" for the first enabled binary source serving the release's own suite.
find_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$CODENAME" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " want " ") && uri != "") {
          split(uri, u, " "); print u[1], (key ~ /^\// ? key : "-"); found = 1; exit
        }
        types = suites = uri = key = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { next }   # continuation lines (e.g. an inline key block)
      {
        k = tolower($1); sub(/:$/, "", k); $1 = ""; v = $0; sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
        if (k == "types") types = v; else if (k == "uris") uri = v; else if (k == "suites") suites = v
        else if (k == "signed-by") key = v; else if (k == "enabled") enabled = tolower(v)
      }
      END { if (!found) flush() }' "$f" | head -n1 | grep . && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v want="$CODENAME" '
      $1 == "deb" {
        key = "-"; i = 2
        if ($2 ~ /^\[/) {
          for (; i <= NF; i++) { if ($i ~ /^\[?signed-by=/) { key = $i; sub(/^\[?signed-by=/, "", key); sub(/\]$/, "", key) } if ($i ~ /\]$/) { i++; break } }
        }
        if ($(i + 1) == want) { print $i, key; exit }
      }' "$f" | head -n1 | grep . && return 0
  done
  return 1
}

if [ -n "${DEBIAN_MIRROR:-}" ]; then
  MIRROR="$DEBIAN_MIRROR"; KEYRING=-
else
  read -r MIRROR KEYRING < <(find_mirror) || true
  [ -n "${MIRROR:-}" ] || die "no 'deb ... ${CODENAME}' entry in /etc/apt/sources.list{,.d}; set DEBIAN_MIRROR"
fi
[ "$KEYRING" != - ] && [ -r "$KEYRING" ] || KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
log "fetching pgvector source from ${PGVECTOR_SUITE} on the machine's Debian mirror"

# --- 3. Private apt state holding only a deb-src entry for the newer release ----------------
T=$(now)
mkdir -p "$WORK/apt/sources.list.d" "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"
: > "$WORK/apt/sources.list"
cat > "$WORK/apt/sources.list.d/pgvector-src.sources" <<SRC
Types: deb-src
URIs: ${MIRROR}
Suites: ${PGVECTOR_SUITE}
Components: main
Signed-By: ${KEYRING}
SRC
chmod -R a+rX "$WORK"
if id _apt >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  chown -R _apt "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"
fi
APT_PRIV=(
  -o Dir::Etc::SourceList="$WORK/apt/sources.list"
  -o Dir::Etc::SourceParts="$WORK/apt/sources.list.d"
  -o Dir::State::Lists="$WORK/apt/lists"
  -o Dir::Cache="$WORK/apt/cache"
  -o Dir::Cache::pkgcache=
  -o Dir::Cache::srcpkgcache=
  -o Acquire::Languages=none
  -o APT::Get::List-Cleanup=0
)
apt-get "${APT_PRIV[@]}" update >&2 || die "apt-get update for ${PGVECTOR_SUITE} deb-src failed"

versions=$(apt-cache "${APT_PRIV[@]}" showsrc pgvector 2>/dev/null | sed -n 's/^Version: //p')
[ -n "$versions" ] || die "no pgvector source package in ${PGVECTOR_SUITE}"
if [ "$PGVECTOR_VERSION" = any ]; then
  DEB_VERSION=$(printf '%s\n' $versions | sort -V | tail -n1)
else
  DEB_VERSION=$(printf '%s\n' $versions | grep -E "^([0-9]+:)?${PGVECTOR_VERSION//./\\.}-" | sort -V | tail -n1 || true)
  [ -n "$DEB_VERSION" ] || die "pgvector ${PGVECTOR_VERSION} not in ${PGVECTOR_SUITE} (has: $(echo $versions)); set PGVECTOR_VERSION"
fi
( cd "$WORK/src" && apt-get "${APT_PRIV[@]}" source --download-only "pgvector=${DEB_VERSION}" >&2 )
dsc=$(ls "$WORK"/src/pgvector_*.dsc | head -n1)
dpkg-source --no-check -x "$dsc" "$WORK/src/pgvector" >&2   # hashes were checked by apt against the signed index
log "pgvector ${DEB_VERSION} source fetched in $(since "$T")"

# --- 4. Build and install against PostgreSQL 15 ---------------------------------------------
T=$(now)
# OPTFLAGS= : no -march=native (as Debian builds it); pgvector picks CPU-specific distance code at run time.
make -C "$WORK/src/pgvector" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS= >&2
"${SUDO[@]}" make -C "$WORK/src/pgvector" PG_CONFIG="$PG_CONFIG" OPTFLAGS= install >&2
log "pgvector built and installed in $(since "$T")"

have=$(installed_vector_version) || die "vector.control missing after make install"
log "done: PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), pgvector ${have}, total $(since "$T_ALL")"
