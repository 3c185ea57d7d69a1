// End to end: the crash-safety suite of issue 10 in its CI form: ~20 SIGKILLs of pierd
// under a concurrent workload, every invariant checked after each restart. The full
// form (>= 100 kills) is bench/fault. PIER_FAULT_SEED replays a schedule, PIER_FAULT_KILLS
// changes the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, repoRoot } from '../../harness/pierd.js';
import { formatFigures, runFaultSuite } from '../../fault/suite.js';

const skip = !isRoot() ? 'needs root' : false;
if (skip && process.env['CI'] === 'true') throw new Error('CI runs as root');

test('pierd survives 20 SIGKILLs under load with every crash-safety invariant holding', { skip, timeout: 240_000 }, async (t) => {
  const seed = Number(process.env['PIER_FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const kills = Number(process.env['PIER_FAULT_KILLS'] ?? 20);
  const lines: string[] = [];
  const f = await runFaultSuite({
    repoRoot, kills, seed, workers: 3, minDelayMs: 150, maxDelayMs: 1500,
    log: (l) => { lines.push(l); },
  });
  t.diagnostic(formatFigures(f).replace(/\n/g, ' | '));
  const report = `${formatFigures(f)}\n${lines.slice(-40).join('\n')}`;
  assert.equal(f.startupCrashes, 0, report);
  assert.equal(f.killsSurvived, kills, report);
  assert.deepEqual(f.finalCleanupViolations, [], report);
  assert.equal(f.violations, 0, report);
});
