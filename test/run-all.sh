#!/usr/bin/env bash
# The whole suite: build, unit tests (no root needed), then end-to-end tests
# against private pierd instances, a check that nothing leaked, and a smoke run
# of the benchmark suite (bench/run --quick: it must still run; times are not judged).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
npm run -s build || exit 1
node --test --test-reporter=spec --test-timeout=120000 'dist/src/**/*.test.js' 'dist/test/*.test.js'
unit=$?
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=300000 'dist/test/e2e/**/*.test.js'
e2e=$?
leaks=$(grep -c ' /tmp/pier-e2e-' /proc/self/mountinfo || true)
if [ "$leaks" != "0" ]; then echo "leak check: $leaks mount(s) under /tmp/pier-e2e- left behind"; fi
bench=0
if [ "${PIER_TEST_BENCH:-1}" != 0 ]; then
  bench/run --quick --no-anchors >/tmp/pier-bench-smoke.out 2>/tmp/pier-bench-smoke.err
  bench=$?
  cat /tmp/pier-bench-smoke.out
  if [ "$bench" != 0 ]; then echo "bench smoke failed ($bench):"; tail -20 /tmp/pier-bench-smoke.err; fi
  rm -f /tmp/pier-bench-smoke.out /tmp/pier-bench-smoke.err
fi
[ "$unit" = 0 ] && [ "$e2e" = 0 ] && [ "$leaks" = 0 ] && [ "$bench" = 0 ]
