# bench/lib/floor.sh: the bare floor. Copies the config.json pierd generated
# for a running busybox container, points it at a private copy of the same
# rootfs and bench-owned cgroups, and runs it with `crun --root <private>`.
# Sourced by bench/run after engines.sh.

FLOOR_DIR=$BENCH_TMP/f
FLOOR_CRUN=(crun --root "$FLOOR_DIR/state")
HAVE_FLOOR=

# floor_bundle NAME ARGS-JSON: writes $FLOOR_DIR/b/NAME/config.json from pierd's config.
floor_bundle() {
  local name=$1 args=$2 dir=$FLOOR_DIR/b/$1
  mkdir -p "$dir"
  "$NODE" -e '
    const fs = require("fs");
    const [src, out, rootfs, files, cg, args] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(src, "utf8"));
    c.root = { path: rootfs, readonly: false };
    c.process.args = JSON.parse(args);
    c.process.terminal = false;
    delete c.hooks;
    for (const m of c.mounts) {
      // resolv.conf, hostname, hosts: private copies instead of pierd-owned files.
      if (m.type === "bind" && m.source.startsWith(process.env.PIER_DIR)) m.source = `${files}/${m.destination.split("/").pop()}`;
    }
    c.linux.namespaces = c.linux.namespaces.map((n) => ({ type: n.type }));
    c.linux.cgroupsPath = cg;
    fs.writeFileSync(out, JSON.stringify(c));
  ' "$FLOOR_DIR/pier-config.json" "$dir/config.json" "$FLOOR_DIR/rootfs" "$FLOOR_DIR/files" "/$BENCH_CG/$name" "$args"
}

# setup_floor: needs pierd running; takes the config of a live pier container.
setup_floor() {
  command -v crun >/dev/null || { log "floor skipped: crun is not installed"; return 0; }
  mkdir -p "$FLOOR_DIR"/{rootfs,files,state}
  tar -xf "$BENCH_TMP/busybox-rootfs.tar" -C "$FLOOR_DIR/rootfs"
  local id
  id=$("${DK_PIER[@]}" run -d --network none busybox sleep 600) || die "could not start the container the floor's config comes from"
  cp "$PIER_DIR/exec/containers/$id/config.json" "$FLOOR_DIR/pier-config.json" || die "no config.json for $id under $PIER_DIR/exec"
  local f
  for f in resolv.conf hostname hosts; do : >"$FLOOR_DIR/files/$f"; done
  echo "127.0.0.1 localhost" >"$FLOOR_DIR/files/hosts"
  echo floor >"$FLOOR_DIR/files/hostname"
  "${PIER_CLI[@]}" rm -f "$id" >/dev/null
  PIER_DIR=$PIER_DIR floor_bundle run '["true"]'
  PIER_DIR=$PIER_DIR floor_bundle sleep '["sleep","600"]'
  "${FLOOR_CRUN[@]}" run --bundle "$FLOOR_DIR/b/run" pb-floor-probe </dev/null >/dev/null 2>"$FLOOR_DIR/probe.err" ||
    { log "floor skipped: crun run failed: $(tr '\n' ' ' <"$FLOOR_DIR/probe.err")"; return 0; }
  HAVE_FLOOR=1
}

# floor_run_detached ID BUNDLE: crun run -d, stdio detached from the caller.
floor_run_detached() { "${FLOOR_CRUN[@]}" run -d --bundle "$2" "$1" </dev/null >/dev/null 2>&1; }

# floor_batch_bundles N: one bundle per container (own cgroup each), as an engine would make.
floor_batch_bundles() {
  local i
  for ((i = 1; i <= $1; i++)); do
    [ -f "$FLOOR_DIR/b/s$i/config.json" ] || PIER_DIR=$PIER_DIR floor_bundle "s$i" '["sleep","600"]'
  done
}

# floor_delete_all: crun delete -f of every floor container (timed by the caller).
floor_delete_all() {
  local id
  for id in $("${FLOOR_CRUN[@]}" list -q 2>/dev/null); do "${FLOOR_CRUN[@]}" delete -f "$id" >/dev/null 2>&1; done
}

# cgroup_cleanup: drops the bench's cgroup directories in every v1 hierarchy (and v2).
cgroup_cleanup() {
  local d
  for d in /sys/fs/cgroup/*/"$BENCH_CG"* /sys/fs/cgroup/"$BENCH_CG"*; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
