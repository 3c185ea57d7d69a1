/**
 * `node dist/test/fault/main.js [--kills N] [--seed N] [--workers N] [--min-delay MS] [--max-delay MS] [--stop-on-violation] [--control] [--keep]`:
 * the crash-safety suite from one command (bench/fault wraps it). Exit 0 when
 * every kill was survived with no violation.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFigures, runFaultSuite } from './suite.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const num = (flag: string, dflt: number): number => {
  const i = args.indexOf(flag);
  if (i < 0) return dflt;
  const n = Number(args[i + 1]);
  if (!Number.isFinite(n)) { process.stderr.write(`${flag} needs a number\n`); process.exit(2); }
  return n;
};
if (process.getuid?.() !== 0) { process.stderr.write('the fault suite needs root (it runs containers)\n'); process.exit(2); }
const stop = new AbortController();
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted++;
    process.stderr.write(interrupted === 1 ? `\n${sig}: finishing this kill, then cleaning up (again to hurry)\n` : `\n${sig} again: cleaning up now\n`);
    stop.abort();
  });
}
const figures = await runFaultSuite({
  repoRoot,
  kills: num('--kills', 100),
  seed: num('--seed', Math.floor(Math.random() * 2 ** 31)),
  workers: num('--workers', 3),
  minDelayMs: num('--min-delay', 200),
  maxDelayMs: num('--max-delay', 3000),
  stopOnViolation: args.includes('--stop-on-violation'),
  control: args.includes('--control'),
  keep: args.includes('--keep'),
  signal: stop.signal,
});
process.stdout.write(`\n${formatFigures(figures)}\n`);
process.exitCode = figures.violations === 0 && figures.startupCrashes === 0 && figures.killsSurvived === figures.killsPlanned ? 0 : 1;
