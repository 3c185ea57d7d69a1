# bench/lib/common.sh: shared helpers of bench/run: logging, the results file,
# and `measure`, which times one command with hyperfine (or a plain timer loop
# when hyperfine is missing) and appends median/min/max to the results.
# Sourced by bench/run; expects BENCH_TMP, RESULTS_JSONL, RUNS, NODE, HERE.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

now_ns() { date +%s%N; }

# record CASE ENGINE JSON-FRAGMENT: appends one result line ({"case","engine",...}).
record() {
  local c=$1 e=$2 frag=$3
  printf '{"case":%s,"engine":%s,%s}\n' "$(json_str "$c")" "$(json_str "$e")" "$frag" >>"$RESULTS_JSONL"
}

json_str() { "$NODE" -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }

# stats_of MS... : prints a JSON fragment "median":..,"min":..,"max":..,"n":..,"unit":"ms","times":[..]
stats_of() {
  "$NODE" -e '
    const t = process.argv.slice(1).map(Number).sort((a, b) => a - b);
    const n = t.length, mid = Math.floor(n / 2);
    const med = n % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
    const r = (x) => Math.round(x * 100) / 100;
    process.stdout.write(`"unit":"ms","median":${r(med)},"min":${r(t[0])},"max":${r(t[n - 1])},"n":${n},"times":${JSON.stringify(t.map(r))}`);
  ' "$@"
}

# record_value CASE ENGINE VALUE UNIT: a single figure (memory, counts) rather than a timing.
record_value() {
  record "$1" "$2" "\"unit\":$(json_str "$4"),\"median\":$3,\"min\":$3,\"max\":$3,\"n\":1"
}

# measure CASE ENGINE CMD...: times CMD (no shell) RUNS times after one warm-up.
# Env PREPARE (a shell snippet) runs untimed before each run when set.
measure() {
  local c=$1 e=$2; shift 2
  log "$c [$e]: $*"
  if command -v hyperfine >/dev/null && [ -z "${BENCH_NO_HYPERFINE:-}" ]; then
    local out="$BENCH_TMP/hf-$RANDOM$RANDOM.json" qcmd=() a
    for a in "$@"; do qcmd+=("$(printf '%q' "$a")"); done
    local prep=()
    [ -n "${PREPARE:-}" ] && prep=(--prepare "bash -c $(printf '%q' "$PREPARE")")
    if ! hyperfine -N --style none --warmup 1 --runs "$RUNS" "${prep[@]}" --export-json "$out" "${qcmd[*]}" >/dev/null 2>"$out.err"; then
      log "  failed: $(tail -3 "$out.err" | tr '\n' ' ')"
      record "$c" "$e" '"error":"command failed"'
      return 1
    fi
    local frag
    frag=$("$NODE" -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results[0];
      const ms = (x) => Math.round(x * 1e5) / 100;
      process.stdout.write(`"unit":"ms","median":${ms(r.median)},"min":${ms(r.min)},"max":${ms(r.max)},"n":${r.times.length},"times":${JSON.stringify(r.times.map(ms))},"tool":"hyperfine"`);
    ' "$out")
    record "$c" "$e" "$frag"
  else
    local times=() i t0
    "$@" >/dev/null 2>&1 || true
    for ((i = 0; i < RUNS; i++)); do
      [ -n "${PREPARE:-}" ] && bash -c "$PREPARE" >/dev/null 2>&1
      t0=$(now_ns)
      if ! "$@" >/dev/null 2>&1; then log "  failed"; record "$c" "$e" '"error":"command failed"'; return 1; fi
      times+=("$(( ($(now_ns) - t0) / 1000 ))e-3")
    done
    record "$c" "$e" "$(stats_of "${times[@]}"),\"tool\":\"timer-loop\""
  fi
  log "  median $(tail -1 "$RESULTS_JSONL" | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(String(JSON.parse(s).median)))') ms"
}

# proc_rss_kb PID: VmRSS in kB (0 when gone).
proc_rss_kb() { awk '/^VmRSS:/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
# proc_pss_kb PID: Pss from smaps_rollup in kB (0 when gone).
proc_pss_kb() { awk '/^Pss:/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# proc_cpu_ticks PID: utime+stime (self) and cutime+cstime (reaped children), as "self children".
proc_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13, $14 + $15 }' "/proc/$1/stat"; }

# pids_matching PATTERN COMM: pids of processes named COMM whose command line contains PATTERN.
pids_matching() {
  local p
  for p in $(pgrep -x "$2" 2>/dev/null); do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$1" && echo "$p"
  done
  return 0
}

# sum_kb FN PIDS...: sums proc_rss_kb or proc_pss_kb over pids.
sum_kb() {
  local fn=$1 total=0 p; shift
  for p in "$@"; do total=$((total + $($fn "$p"))); done
  echo "$total"
}
