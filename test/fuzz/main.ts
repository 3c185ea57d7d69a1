/**
 * `node dist/test/fuzz/main.js --socket S --pid P [--seed N] [--requests N] [--concurrency N] [--only i,j] [--data-root D]`:
 * runs the fuzzer against a pierd that is already running (bench/fuzz starts one) and prints its figures.
 * Exit 0: every criterion held; 1: failures (listed); 2: bad usage.
 */
import { runFuzz, formatReport } from './fuzzer.js';

function main(argv: string[]): Promise<number> | number {
  const opt = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) { console.error(`fuzz: unexpected argument ${a}`); return 2; }
    opt.set(a.slice(2), argv[++i] ?? '');
  }
  const socket = opt.get('socket');
  const pid = Number(opt.get('pid'));
  if (!socket || !Number.isInteger(pid) || pid <= 0) { console.error('fuzz: --socket and --pid are required'); return 2; }
  const seed = opt.has('seed') ? Number(opt.get('seed')) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  const requests = Number(opt.get('requests') ?? 10_000);
  const only = opt.get('only')?.split(',').filter(Boolean).map(Number);
  console.log(`fuzz: seed ${seed}, ${only?.length ?? requests} requests against ${socket} (pid ${pid})`);
  return runFuzz({
    socket, pid, seed, requests, ...(only ? { only } : {}),
    ...(opt.has('concurrency') ? { concurrency: Number(opt.get('concurrency')) } : {}),
    ...(opt.has('data-root') ? { dataRoot: opt.get('data-root') ?? '' } : {}),
    log: (l) => console.log(l),
  }).then((r) => {
    console.log(formatReport(r));
    return r.failures.length || r.problems.length || r.crashes ? 1 : 0;
  });
}

process.exitCode = await main(process.argv.slice(2));
