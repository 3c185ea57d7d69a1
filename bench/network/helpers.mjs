/**
 * bench/network/helpers.mjs: the small computations bench/network/run needs.
 *
 *   node helpers.mjs subnet [N]           N free /24s (default 1) in 10.213.0.0/16: none overlaps
 *                                         a route of this network namespace (`ip -j -4 route`)
 *   node helpers.mjs marks LOG FROM TO    pierd's "task started" marks (debug log) between byte
 *                                         offsets FROM and TO (TO may be "end"): one JSON object,
 *                                         each phase's median/min/max in ms
 *   node helpers.mjs marks LOG RANGES     the same within the "from to" byte ranges listed in
 *                                         the file RANGES, one a line
 */
import { execFileSync } from 'node:child_process';
import { openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';

const [cmd, ...args] = process.argv.slice(2);

function ip4(s) {
  const p = s.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function freeSubnets(n) {
  const routes = JSON.parse(execFileSync('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }) || '[]');
  const taken = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const [a, bits = '32'] = r.dst.split('/');
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(a)) continue;
    const b = Number(bits);
    const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
    taken.push({ base: (ip4(a) & mask) >>> 0, mask });
  }
  const out = [];
  // Start at a random /24 so two runs at once rarely race for the same one.
  const start = Math.floor(Math.random() * 250);
  for (let k = 0; k < 250 && out.length < n; k++) {
    const third = 1 + ((start + k) % 250);
    const base = ip4(`10.213.${third}.0`);
    const mask = 0xffffff00;
    const overlaps = taken.some((t) => ((base & t.mask) >>> 0) === t.base || ((t.base & mask) >>> 0) === base);
    if (!overlaps) out.push(`10.213.${third}.0/24`);
  }
  if (out.length < n) { console.error('no free /24 in 10.213.0.0/16'); process.exit(1); }
  console.log(out.join('\n'));
}

const stats = (xs) => {
  const t = [...xs].sort((a, b) => a - b);
  const n = t.length, mid = Math.floor(n / 2);
  const r = (x) => Math.round(x * 10) / 10;
  return n === 0 ? null : { median: r(n % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2), min: r(t[0]), max: r(t[n - 1]) };
};

function marks(log, from, to) {
  const fd = openSync(log, 'r');
  const ranges = to === undefined
    ? readFileSync(from, 'utf8').split('\n').filter(Boolean).map((l) => l.split(/\s+/).map(Number))
    : [[Number(from), to === 'end' ? fstatSync(fd).size : Number(to)]];
  const runs = [];
  for (const [a, b] of ranges) {
    const buf = Buffer.alloc(Math.max(0, b - a));
    readSync(fd, buf, 0, buf.length, a);
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line.includes('"task started"')) continue;
      try { runs.push(JSON.parse(line).ms); } catch { /* a partial line at an edge */ }
    }
  }
  closeSync(fd);
  // Phases as durations (the marks are cumulative from the start request).
  const phases = {
    mount: (m) => m.mounted,
    'etc+spec+bundle': (m) => m.bundle - m.mounted,
    'runtime create': (m) => m.created - m.bundle,
    network: (m) => (m.network ?? m.created) - m.created,
    'attach+start': (m) => m.started - (m.network ?? m.created),
    total: (m) => m.started,
  };
  const out = { n: runs.length, phasesMs: {} };
  for (const [k, f] of Object.entries(phases)) out.phasesMs[k] = stats(runs.map(f).filter((x) => Number.isFinite(x)));
  console.log(JSON.stringify(out));
}

switch (cmd) {
  case 'subnet': freeSubnets(Number(args[0] ?? 1)); break;
  case 'marks': marks(args[0], args[1], args[2]); break;
  default: console.error('usage: helpers.mjs subnet [N] | marks LOG FROM TO | marks LOG RANGES'); process.exit(2);
}
