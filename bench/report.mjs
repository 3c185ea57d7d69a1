/**
 * bench/report.mjs: turns the results of one bench/run (JSON lines) into
 * bench/results/<timestamp>.json and prints the comparison table, each of
 * pier's figures as a ratio to the anchors measured in the same run.
 *
 *   node report.mjs RESULTS.jsonl MACHINE.json OUT.json [--markdown]
 *   node report.mjs --from bench/results/<timestamp>.json [--markdown]   (re-render only)
 */
import { writeFileSync } from 'node:fs';
import { reportInput } from './lib/report-input.mjs';

const { results, machine, outPath, markdown } = reportInput();

/** Row order and labels; `rate` rows are shown as containers per second (higher is better). */
const ROWS = [
  ['c1.cli', 'run --rm true, docker CLI (podman CLI; crun run)'],
  ['c1.pier-cli', 'run --rm true, pier CLI'],
  ['c2.api', 'run --rm true, API client (crun run)'],
  ['c3.cli', 'exec true, docker CLI (podman CLI; crun exec)'],
  ['c3.api', 'exec true, API client (crun exec)'],
  ['c4.seq', 'run -d sleep, sequential', 'rate'],
  ['c4.par', 'run -d sleep, 8 in parallel', 'rate'],
  ['c4.rm', 'rm -f of N running, one call'],
  ['c5.rss0', 'daemon RSS, idle (+containerd)'],
  ['c5.rssN', 'daemon RSS, N running (+containerd)'],
  ['c5.pssN', 'host PSS per running container'],
  ['c5.rss200', 'daemon RSS, 200 running'],
  ['c5.pss200', 'host PSS per container, 200 running'],
  ['c6.cold0', 'cold start → /_ping, empty (podman: API service)'],
  ['c6.coldmany', 'cold start → /_ping, M recorded'],
  ['c7.ps0', 'ps -a, none recorded'],
  ['c7.psmany', 'ps -a, M recorded'],
  ['c7.run-many', 'run --rm true, M recorded (docker CLI)'],
  ['c8.cpu', 'daemon CPU per API run (+containerd)'],
];
const batch = results.find((r) => r.case === 'c4.seq')?.containers;
const recorded = machine.recorded;
const keyOf = (c) => c.replace(/^c5\.(rss|pss)(\d+)$/, (m, k, n) => (n === '0' || n === '200' ? m : `c5.${k}N`));

function figure(rec, rate) {
  if (!rec) return undefined;
  if (rec.error) return { text: 'failed', value: undefined };
  if (rate) {
    const v = (rec.containers ?? batch ?? 1) / (rec.median / 1000);
    return { text: `${v.toFixed(1)}/s`, value: v };
  }
  const unit = rec.unit === 'ms' ? ' ms' : ` ${rec.unit}`;
  const d = rec.median >= 100 ? 0 : rec.median >= 10 ? 1 : 2;
  return { text: `${rec.median.toFixed(d)}${unit}`, value: rec.median };
}

const table = [];
for (const [key, label, kind] of ROWS) {
  const recs = results.filter((r) => keyOf(r.case) === key);
  if (!recs.length) continue;
  const by = (e) => figure(recs.find((r) => r.engine === e), kind === 'rate');
  const [p, d, m, f] = ['pier', 'dockerd', 'podman', 'floor'].map(by);
  const ratio = (a, b) => (a?.value !== undefined && b?.value ? (a.value / b.value).toFixed(2) : '');
  const n = recs.find((r) => r.engine === 'pier')?.n;
  const name = label.replace('N running', `${batch ?? 'N'} running`).replace('M recorded', `${recorded} recorded`);
  const nLabel = kind === 'rate' ? ` (${batch} × n${n ?? '?'})` : n && n > 1 ? ` (n${n})` : '';
  table.push({ key, case: `${key.replace(/^c(\d).*/, '$1')} ${name}${nLabel}`, pier: p?.text ?? '–', dockerd: d?.text ?? '–', podman: m?.text ?? '–', floor: f?.text ?? '–', pierDockerd: ratio(p, d), pierPodman: ratio(p, m) });
}

const head = ['case', 'pier', 'dockerd', 'podman', 'crun floor', 'pier/dockerd', 'pier/podman'];
const rows = table.map((t) => [t.case, t.pier, t.dockerd, t.podman, t.floor, t.pierDockerd, t.pierPodman]);
let text;
if (markdown) {
  text = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
} else {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  text = [line(head), ...rows.map(line)].join('\n');
}
if (outPath) writeFileSync(outPath, `${JSON.stringify({ machine, table, results }, null, 1)}\n`);
process.stdout.write(`${text}\n`);
