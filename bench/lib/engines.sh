# bench/lib/engines.sh: starts and stops the engines under test, each with
# private roots and a socket under BENCH_TMP: pier's own pierd, and where
# installed the anchors (Debian's dockerd with the containerd it launches
# itself, podman with crun). Nothing here talks to a daemon it did not start.
# Sourced by bench/run after common.sh.

PIER_DIR=$BENCH_TMP/p
DOCKER_DIR=$BENCH_TMP/d
PODMAN_DIR=$BENCH_TMP/m
PIER_SOCK=$PIER_DIR/pier.sock
DOCKER_SOCK=$DOCKER_DIR/docker.sock
PIERD_PID=
DOCKERD_PID=
HAVE_DOCKERD=
HAVE_PODMAN=
DOCKER_CLI=$(command -v /usr/local/bin/docker || command -v docker || true)

# The client command lines, bound to each private daemon (arrays, no shell).
PIER_CLI=("$REPO/bin/pier" -H "unix://$PIER_SOCK")
DK_PIER=("$DOCKER_CLI" -H "unix://$PIER_SOCK")
DK_DOCKERD=("$DOCKER_CLI" -H "unix://$DOCKER_SOCK")
PODMAN=(podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/run" --tmpdir "$PODMAN_DIR/tmp"
  --network-config-dir "$PODMAN_DIR/net" --cgroup-manager cgroupfs --events-backend file
  --storage-driver overlay --runtime crun)

# The daemon command lines, used both to run them and for the cold-start case.
pierd_cmd() {
  echo "$REPO/bin/pierd" -H "unix://$PIER_SOCK" --data-root "$PIER_DIR/data" --exec-root "$PIER_DIR/exec" --pidfile "$PIER_DIR/pierd.pid"
}
dockerd_cmd() {
  echo dockerd -H "unix://$DOCKER_SOCK" --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/x" \
    --pidfile "$DOCKER_DIR/dockerd.pid" --config-file "$DOCKER_DIR/daemon.json" --bridge=none --iptables=false \
    --ip-masq=false --ip6tables=false --cgroup-parent "/$BENCH_CG-docker" --storage-driver overlay2 --log-level warn
}

# wait_ping SOCK PID: waits (15 s) for a 200 on /_ping from the daemon we started as PID.
wait_ping() {
  local sock=$1 pid=$2 i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://d/_ping 2>/dev/null)" = 200 ] && return 0
    sleep 0.05
  done
  return 1
}

# stop_pid PID: SIGTERM, up to 20 s, then SIGKILL; waits until it is gone.
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid ignored SIGTERM for 20 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  sleep 0.2
}

start_pierd() {
  mkdir -p "$PIER_DIR"
  # shellcheck disable=SC2046
  setsid $(pierd_cmd) >>"$PIER_DIR/pierd.log" 2>&1 </dev/null &
  PIERD_PID=$!
  wait_ping "$PIER_SOCK" "$PIERD_PID" || die "pierd did not answer /_ping (log: $PIER_DIR/pierd.log): $(tail -5 "$PIER_DIR/pierd.log")"
  # The socket must belong to the process we launched, nobody else's daemon.
  [ "$(cat "$PIER_DIR/pierd.pid" 2>/dev/null)" = "$PIERD_PID" ] || die "the pierd on $PIER_SOCK is not the one this run started"
}
stop_pierd() { stop_pid "$PIERD_PID"; PIERD_PID=; }

start_dockerd() {
  command -v dockerd >/dev/null || { log "anchor skipped: dockerd is not installed (apt-get install docker.io)"; return 0; }
  [ -n "$DOCKER_CLI" ] || { log "anchor skipped: no docker CLI on PATH"; return 0; }
  mkdir -p "$DOCKER_DIR"
  echo '{}' >"$DOCKER_DIR/daemon.json"
  # shellcheck disable=SC2046
  setsid $(dockerd_cmd) >>"$DOCKER_DIR/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  if ! wait_ping "$DOCKER_SOCK" "$DOCKERD_PID"; then
    log "anchor skipped: dockerd did not start: $(tail -3 "$DOCKER_DIR/dockerd.log" | tr '\n' ' ')"
    stop_pid "$DOCKERD_PID"; DOCKERD_PID=; return 0
  fi
  [ "$(cat "$DOCKER_DIR/dockerd.pid" 2>/dev/null)" = "$DOCKERD_PID" ] || die "the dockerd on $DOCKER_SOCK is not the one this run started"
  HAVE_DOCKERD=1
}
stop_dockerd() { stop_pid "$DOCKERD_PID"; DOCKERD_PID=; }
containerd_pid() { [ -n "$DOCKERD_PID" ] && pgrep -P "$DOCKERD_PID" -x containerd | head -1; }

setup_podman() {
  command -v podman >/dev/null || { log "anchor skipped: podman is not installed (apt-get install podman)"; return 0; }
  mkdir -p "$PODMAN_DIR"/{root,run,tmp,net}
  # The sandbox may refuse to raise rlimits: ask for no more than podman gives conmon and crun
  # (nofile: the shell's hard limit; nproc: podman runs its children with 32768).
  local nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  cat >"$PODMAN_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' >"$PODMAN_DIR/registries.conf"
  export CONTAINERS_CONF=$PODMAN_DIR/containers.conf CONTAINERS_REGISTRIES_CONF=$PODMAN_DIR/registries.conf
  if ! "${PODMAN[@]}" info >/dev/null 2>"$PODMAN_DIR/info.err"; then
    log "anchor skipped: podman does not work here: $(tail -2 "$PODMAN_DIR/info.err" | tr '\n' ' ')"; return 0
  fi
  HAVE_PODMAN=1
}

# load_busybox_anchors: gives the anchors the same busybox rootfs pierd uses
# (exported from a pier container; there is no network to pull from).
load_busybox_anchors() {
  local tar=$BENCH_TMP/busybox-rootfs.tar
  if [ -n "$HAVE_DOCKERD" ]; then
    "${DK_DOCKERD[@]}" import --change 'CMD ["sh"]' "$tar" busybox:latest >/dev/null || die "docker import into the bench dockerd failed"
  fi
  if [ -n "$HAVE_PODMAN" ]; then
    "${PODMAN[@]}" import -q --change 'CMD ["sh"]' "$tar" docker.io/library/busybox:latest >/dev/null || die "podman import failed"
  fi
}

# rm_all_containers ENGINE: removes every container of that engine (all are ours).
rm_all_containers() {
  local ids
  case $1 in
    pier) [ -n "$PIERD_PID" ] || return 0
      ids=$(timeout 60 "${PIER_CLI[@]}" ps -aq 2>/dev/null)
      [ -z "$ids" ] || echo "$ids" | timeout 300 xargs -n 100 "${PIER_CLI[@]}" rm -f >/dev/null 2>&1 ;;
    dockerd) [ -n "$DOCKERD_PID" ] || return 0
      ids=$(timeout 60 "${DK_DOCKERD[@]}" ps -aq 2>/dev/null)
      [ -z "$ids" ] || echo "$ids" | timeout 300 xargs -n 100 "${DK_DOCKERD[@]}" rm -f >/dev/null 2>&1 ;;
    podman) [ -n "$HAVE_PODMAN" ] || return 0
      timeout 300 "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1 ;;
  esac
  return 0
}
