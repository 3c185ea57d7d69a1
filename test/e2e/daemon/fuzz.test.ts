// "Garbage in, errors out" (issue 10), reduced for CI: 2,000 generated hostile requests against
// a private pierd; every answer a 4xx (or 2xx / 501), no 5xx, no crash, no leak. The full run
// (10,000 requests) is bench/fuzz. PIER_FUZZ_SEED replays a seed, PIER_FUZZ_REQUESTS resizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { runFuzz, formatReport } from '../../fuzz/fuzzer.js';

const skip = e2eSkip('fuzz e2e');
let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });

test('2,000 hostile requests: each answered with a clear 4xx (or 2xx/501), pierd alive, no fd/RSS/object leak', { skip, timeout: 240_000 }, async (t) => {
  const seed = process.env['PIER_FUZZ_SEED'] ? Number(process.env['PIER_FUZZ_SEED']) : (Date.now() % 1_000_000);
  const requests = Number(process.env['PIER_FUZZ_REQUESTS'] ?? 2000);
  const r = await runFuzz({ socket: d.socket, pid: d.proc.pid ?? 0, seed, requests, dataRoot: join(d.root, 'data'), maxRssGrowthKb: 64 * 1024 });
  const report = formatReport(r);
  t.diagnostic(report);
  console.log(report);
  assert.equal(r.sent, requests);
  assert.equal(r.crashes, 0, report);
  assert.equal(r.fiveXX, 0, report);
  assert.deepEqual(r.failures.map((f) => `#${f.index} ${f.target}: ${f.why}`), [], report);
  assert.deepEqual(r.problems, [], report);
});
