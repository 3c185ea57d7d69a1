# bench/lib/cases.sh: the benchmark cases (numbered as in bench/README.md).
# Each one measures pier and, where present, dockerd, podman and the crun floor
# in the same run, and appends its figures to RESULTS_JSONL.
# Sourced by bench/run after floor.sh.

API=("$NODE" "$HERE/api-client.mjs")
CLK_TCK=$(getconf CLK_TCK)

# engine_cli ENGINE: sets CLI=(...) to the client bound to that engine.
engine_cli() {
  case $1 in
    pier) CLI=("${DK_PIER[@]}") ;;
    dockerd) CLI=("${DK_DOCKERD[@]}") ;;
    podman) CLI=("${PODMAN[@]}") ;;
  esac
}
engines() {
  echo pier
  [ -n "$HAVE_DOCKERD" ] && echo dockerd
  [ -n "$HAVE_PODMAN" ] && echo podman
  return 0
}

# 1: run --rm busybox true through the clients; the floor is `crun run` of pierd's config.
case_run_cli() {
  local e
  for e in $(engines); do
    engine_cli "$e"
    measure c1.cli "$e" "${CLI[@]}" run --rm --network none busybox true
  done
  measure c1.pier-cli pier "${PIER_CLI[@]}" run --rm --network none busybox true
  [ -n "$HAVE_FLOOR" ] && measure c1.cli floor "${FLOOR_CRUN[@]}" run --bundle "$FLOOR_DIR/b/run" pb-floor-run
  return 0
}

# 2: the same at the API level; 8: daemon CPU per run, from /proc over the same loop.
api_run() {
  local case=$1 e=$2 sock=$3; shift 3
  local pids=("$@") before=() after=() i self=0 kids=0 out
  for i in "${pids[@]}"; do before+=("$(proc_cpu_ticks "$i")"); done
  log "$case [$e]: API run loop"
  out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" run --socket "$sock" --runs "$RUNS") || { record "$case" "$e" '"error":"api run failed"'; return 0; }
  record "$case" "$e" "${out:1:${#out}-2}"
  for i in "${pids[@]}"; do after+=("$(proc_cpu_ticks "$i")"); done
  for i in "${!pids[@]}"; do
    read -r s0 c0 <<<"${before[$i]}"; read -r s1 c1 <<<"${after[$i]}"
    self=$((self + s1 - s0)); kids=$((kids + c1 - c0))
  done
  # RUNS timed runs plus one warm-up went through the daemon.
  local per self_ms kids_ms
  per=$((RUNS + 1))
  self_ms=$("$NODE" -p "Math.round($self * 1000 / $CLK_TCK / $per * 10) / 10")
  kids_ms=$("$NODE" -p "Math.round($kids * 1000 / $CLK_TCK / $per * 10) / 10")
  record c8.cpu "$e" "\"unit\":\"ms\",\"median\":$self_ms,\"min\":$self_ms,\"max\":$self_ms,\"n\":$per,\"reapedChildrenMs\":$kids_ms"
}
case_run_api() {
  api_run c2.api pier "$PIER_SOCK" "$PIERD_PID"
  if [ -n "$HAVE_DOCKERD" ]; then api_run c2.api dockerd "$DOCKER_SOCK" "$DOCKERD_PID" "$(containerd_pid)"; fi
  [ -n "$HAVE_FLOOR" ] && measure c2.api floor "${FLOOR_CRUN[@]}" run --bundle "$FLOOR_DIR/b/run" pb-floor-run
  return 0
}

# 3: exec true in a running container: CLI, API, and bare `crun exec`.
case_exec() {
  local e id out
  for e in $(engines); do
    engine_cli "$e"
    "${CLI[@]}" run -d --name pb-exec --network none busybox sleep 600 >/dev/null || { log "exec target failed on $e"; continue; }
    measure c3.cli "$e" "${CLI[@]}" exec pb-exec true
    if [ "$e" != podman ]; then
      local sock=$PIER_SOCK; [ "$e" = dockerd ] && sock=$DOCKER_SOCK
      log "c3.api [$e]: API exec loop"
      out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" exec --socket "$sock" --runs "$RUNS" --container pb-exec) &&
        record c3.api "$e" "${out:1:${#out}-2}"
    fi
    if [ "$e" = podman ]; then "${CLI[@]}" rm -f -t 0 pb-exec >/dev/null 2>&1; else "${CLI[@]}" rm -f pb-exec >/dev/null 2>&1; fi
  done
  if [ -n "$HAVE_FLOOR" ]; then
    floor_run_detached pb-floor-exec "$FLOOR_DIR/b/sleep"
    measure c3.cli floor "${FLOOR_CRUN[@]}" exec pb-floor-exec true
    measure c3.api floor "${FLOOR_CRUN[@]}" exec pb-floor-exec true
    "${FLOOR_CRUN[@]}" delete -f pb-floor-exec >/dev/null 2>&1
  fi
  return 0
}

# memory_sample ENGINE N: daemon RSS and per-container host-process PSS with N running.
memory_sample() {
  local e=$1 n=$2 rss=0 pss=0 mon=()
  case $e in
    pier) rss=$(proc_rss_kb "$PIERD_PID"); mapfile -t mon < <(pids_matching "$PIER_DIR/" conmon) ;;
    dockerd) rss=$(sum_kb proc_rss_kb "$DOCKERD_PID" "$(containerd_pid)")
      mapfile -t mon < <(pids_matching "$DOCKER_DIR/" containerd-shim-runc-v2; pids_matching "$DOCKER_DIR/" containerd-shim) ;;
    podman) mapfile -t mon < <(pids_matching "$PODMAN_DIR/" conmon) ;;
  esac
  pss=$(sum_kb proc_pss_kb "${mon[@]}")
  local rss_mb pss_mb
  rss_mb=$("$NODE" -p "Math.round($rss / 1024 * 10) / 10")
  pss_mb=$("$NODE" -p "${#mon[@]} ? Math.round($pss / 1024 / ${#mon[@]} * 1000) / 1000 : 0")
  record "c5.rss$n" "$e" "\"unit\":\"MB\",\"median\":$rss_mb,\"min\":$rss_mb,\"max\":$rss_mb,\"n\":1"
  record "c5.pss$n" "$e" "\"unit\":\"MB\",\"median\":$pss_mb,\"min\":$pss_mb,\"max\":$pss_mb,\"n\":1,\"monitors\":${#mon[@]},\"pssTotalMB\":$("$NODE" -p "Math.round($pss / 1024 * 10) / 10")"
  log "c5 [$e] $n running: daemon RSS ${rss_mb} MB; ${#mon[@]} monitors, PSS ${pss_mb} MB each"
}

case_memory_idle() {
  local e
  record_value c5.rss0 pier "$("$NODE" -p "Math.round($(proc_rss_kb "$PIERD_PID") / 1024 * 10) / 10")" MB
  [ -n "$HAVE_DOCKERD" ] && record_value c5.rss0 dockerd "$("$NODE" -p "Math.round($(sum_kb proc_rss_kb "$DOCKERD_PID" "$(containerd_pid)") / 1024 * 10) / 10")" MB
  [ -n "$HAVE_PODMAN" ] && record_value c5.rss0 podman 0 MB
  return 0
}

# batch ENGINE N PAR: starts N `run -d sleep 600` with PAR in flight.
batch() {
  local e=$1 n=$2 par=$3
  if [ "$e" = floor ]; then
    # (xargs gives each child /dev/null as stdin; stdin of xargs itself is the list.)
    seq "$n" | xargs -P "$par" -I{} "${FLOOR_CRUN[@]}" run -d --bundle "$FLOOR_DIR/b/s{}" "pb-floor-s{}" >/dev/null 2>&1
    return
  fi
  engine_cli "$e"
  seq "$n" | xargs -P "$par" -I{} "${CLI[@]}" run -d --network none --label pb.i={} busybox sleep 600 >/dev/null
}
# remove_timed ENGINE: rm -f of all that engine's containers in one client call; prints ms.
remove_timed() {
  local e=$1 ids t0
  if [ "$e" = floor ]; then t0=$(now_ns); floor_delete_all; echo $(( ($(now_ns) - t0) / 1000000 )); return; fi
  engine_cli "$e"
  mapfile -t ids < <("${CLI[@]}" ps -aq)
  t0=$(now_ns)
  if [ "$e" = podman ]; then "${CLI[@]}" rm -f -t 0 "${ids[@]}" >/dev/null; else "${CLI[@]}" rm -f "${ids[@]}" >/dev/null; fi
  echo $(( ($(now_ns) - t0) / 1000000 ))
}

# 4 and 5: N sequential and N 8-way `run -d`, containers/s; rm -f; memory with N running.
case_throughput() {
  local e r t0 seq=() par=() rm=() all=()
  mapfile -t all < <(engines)
  [ -n "$HAVE_FLOOR" ] && { floor_batch_bundles "$BATCH"; all+=(floor); }
  for e in "${all[@]}"; do
    seq=(); par=(); rm=()
    for ((r = 0; r < BATCH_RUNS; r++)); do
      log "c4 [$e] run $((r + 1))/$BATCH_RUNS: $BATCH sequential"
      t0=$(now_ns); batch "$e" "$BATCH" 1; seq+=("$(( ($(now_ns) - t0) / 1000 ))e-3")
      [ "$r" = 0 ] && [ "$e" != floor ] && memory_sample "$e" "$BATCH"
      rm+=("$(remove_timed "$e")")
      log "c4 [$e] run $((r + 1))/$BATCH_RUNS: $BATCH with 8 in parallel"
      t0=$(now_ns); batch "$e" "$BATCH" 8; par+=("$(( ($(now_ns) - t0) / 1000 ))e-3")
      rm+=("$(remove_timed "$e")")
    done
    record c4.seq "$e" "$(stats_of "${seq[@]}"),\"containers\":$BATCH"
    record c4.par "$e" "$(stats_of "${par[@]}"),\"containers\":$BATCH"
    record c4.rm "$e" "$(stats_of "${rm[@]}"),\"containers\":$BATCH"
  done
  if [ -n "$FULL" ]; then
    log "c5: 200 running on pier"
    batch pier 200 8
    memory_sample pier 200
    rm_all_containers pier
  fi
  return 0
}

# 6: cold start → /_ping, for each daemon (stopped for it, restarted after).
coldstart() {
  local tag=$1 e out
  stop_pierd
  log "c6.$tag [pier]: cold start loop"
  # shellcheck disable=SC2046
  out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" coldstart --socket "$PIER_SOCK" --runs "$RUNS" -- $(pierd_cmd)) && record "c6.cold$tag" pier "${out:1:${#out}-2}"
  start_pierd
  if [ -n "$HAVE_DOCKERD" ]; then
    stop_dockerd
    log "c6.$tag [dockerd]: cold start loop"
    # shellcheck disable=SC2046
    out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" coldstart --socket "$DOCKER_SOCK" --runs "$RUNS" -- $(dockerd_cmd)) && record "c6.cold$tag" dockerd "${out:1:${#out}-2}"
    start_dockerd
    [ -n "$HAVE_DOCKERD" ] || die "dockerd did not come back after the cold-start case"
  fi
  if [ -n "$HAVE_PODMAN" ]; then
    log "c6.$tag [podman]: cold start loop (podman system service)"
    out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" coldstart --socket "$PODMAN_DIR/api.sock" --runs "$RUNS" -- "${PODMAN[@]}" system service --time 0 "unix://$PODMAN_DIR/api.sock") &&
      record "c6.cold$tag" podman "${out:1:${#out}-2}"
  fi
  return 0
}

# 7: ps -a with what is recorded now.
case_ps() {
  local tag=$1 e
  for e in $(engines); do engine_cli "$e"; measure "c7.ps$tag" "$e" "${CLI[@]}" ps -a; done
}

# 6 and 7 with RECORDED containers created (busybox true, never started).
case_recorded() {
  local e out
  log "creating $RECORDED containers on each engine"
  out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" create --socket "$PIER_SOCK" --count "$RECORDED" --parallel 4 --label pb.rec=1) || die "create on pier failed"
  log "  pier: $out"
  if [ -n "$HAVE_DOCKERD" ]; then
    out=$(BENCH_TMP=$BENCH_TMP "${API[@]}" create --socket "$DOCKER_SOCK" --count "$RECORDED" --parallel 4 --label pb.rec=1) || die "create on dockerd failed"
    log "  dockerd: $out"
  fi
  if [ -n "$HAVE_PODMAN" ]; then
    seq "$RECORDED" | xargs -P 4 -I{} "${PODMAN[@]}" create --network none --label pb.rec={} busybox true >/dev/null
    log "  podman: done"
  fi
  case_ps many
  for e in $(engines); do
    engine_cli "$e"
    measure c7.run-many "$e" "${CLI[@]}" run --rm --network none busybox true
  done
  coldstart many
}
