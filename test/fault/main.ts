/**
 * `node dist/test/fault/main.js [--kills N] [--seed N] [--workers N] [--min-delay MS] [--max-delay MS] [--stop-on-violation] [--control] [--keep] [--root DIR]`:
 * the crash-safety suite from one command (bench/fault wraps it). Exit 0 when
 * every kill was survived with no violation.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFigures, runFaultSuite, scrub } from './suite.js';

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
const rootArg = args.indexOf('--root');
const root = rootArg >= 0 ? args[rootArg + 1] : undefined;
const stop = new AbortController();
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted++;
    process.stderr.write(interrupted === 1 ? `\n${sig}: finishing this kill, then cleaning up (again to hurry)\n` : `\n${sig} again: cleaning up now\n`);
    stop.abort();
    if (interrupted > 1 && root) {
      void scrub(root, join(root, 'exec')).finally(() => process.exit(130));
    }
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
  ...(root ? { root } : {}),
  signal: stop.signal,
}).catch((err: unknown) => {
  process.stderr.write(`fault suite failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(stop.signal.aborted ? 130 : 2);
});
process.stdout.write(`\n${formatFigures(figures)}\n`);
process.exitCode = figures.violations === 0 && figures.startupCrashes === 0 && figures.killsSurvived === figures.killsPlanned ? 0 : 1;
