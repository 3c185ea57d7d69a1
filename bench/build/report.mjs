/**
 * bench/build/report.mjs: turns the results of one bench/build/run (JSON lines)
 * into bench/results/<timestamp>-build.json and prints the table (median, min-max,
 * in seconds) with pier's ratios to each anchor and the issue's targets.
 *
 *   node report.mjs RESULTS.jsonl MACHINE.json OUT.json [--markdown]
 *   node report.mjs --from bench/results/<timestamp>-build.json [--markdown]   (re-render only)
 */
import { writeFileSync } from 'node:fs';
import { reportInput } from '../lib/report-input.mjs';

const { results, machine, outPath, markdown } = reportInput();

const CASES = [
  ['cold', 'cold build (--no-cache, images and cache removed)'],
  ['cached', 'cached rebuild (context unchanged)'],
  ['changed', 'one file changed (3 steps cached, COPY/RUN/CMD redone)'],
];
const ENGINES = [
  ['pier', 'pier'],
  ['pier-docker', 'pier (docker CLI)'],
  ['legacy', 'dockerd legacy'],
  ['buildkit', 'BuildKit'],
  ['buildah', 'buildah'],
];
const ANCHORS = ['legacy', 'buildkit', 'buildah'];

const rec = (c, e) => results.find((r) => r.case === c && r.engine === e);
const s = (ms) => (ms / 1000).toFixed(ms >= 10000 ? 1 : 2);
function cell(r) {
  if (!r) return '–';
  if (r.error) return 'failed';
  return `${s(r.median)} s (${s(r.min)}–${s(r.max)})`;
}
const med = (r) => (r && !r.error ? r.median : undefined);
const ratio = (a, b) => (a !== undefined && b ? (a / b).toFixed(2) : undefined);

const files = machine.files;
const table = [];
for (const [c, label] of CASES) {
  const n = results.find((r) => r.case === c && r.n)?.n;
  const row = { case: c, label: `${label}${n ? ` (n${n})` : ''}` };
  for (const [e] of ENGINES) row[e] = cell(rec(c, e));
  for (const a of ANCHORS) {
    const p = ratio(med(rec(c, 'pier')), med(rec(c, a)));
    const d = ratio(med(rec(c, 'pier-docker')), med(rec(c, a)));
    row[`pier/${a}`] = p === undefined && d === undefined ? '' : `${p ?? '–'} (${d ?? '–'})`;
  }
  table.push(row);
}

// The issue's targets: every figure below legacy's and buildah's; the cached rebuild no slower than BuildKit's.
const targets = [];
for (const [c] of CASES) {
  const goals = [['legacy', 'faster than'], ['buildah', 'faster than']];
  if (c === 'cached') goals.push(['buildkit', 'no slower than']);
  for (const [a, how] of goals) {
    const am = med(rec(c, a));
    if (am === undefined) { targets.push({ case: c, anchor: a, how, verdict: 'not measured' }); continue; }
    for (const p of ['pier', 'pier-docker']) {
      const pm = med(rec(c, p));
      if (pm === undefined) continue;
      const met = how === 'faster than' ? pm < am : pm <= am;
      targets.push({ case: c, anchor: a, how, client: p, pierS: pm / 1000, anchorS: am / 1000, ratio: Number((pm / am).toFixed(2)), verdict: met ? 'met' : 'not met' });
    }
  }
}

const engineLabel = Object.fromEntries(ENGINES);
const head = ['case', ...ENGINES.map(([, l]) => l), 'pier/legacy', 'pier/BuildKit', 'pier/buildah'];
const rows = table.map((t) => [t.label, ...ENGINES.map(([e]) => t[e]), t['pier/legacy'], t['pier/buildkit'], t['pier/buildah']]);
let text;
if (markdown) {
  text = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
} else {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  text = [head, ...rows].map((r) => r.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd()).join('\n');
}
const lines = [text, '', `median (min–max) of each figure, ${files} files in the context; ratios: pier CLI (docker CLI → pierd), < 1 is faster`, ''];
if (targets.every((t) => t.verdict === 'not measured')) lines.push('targets: not judged (no anchor measured)');
else lines.push('targets:');
for (const t of targets.every((x) => x.verdict === 'not measured') ? [] : targets) {
  if (t.verdict === 'not measured') { lines.push(`  ${t.case}: ${t.how} ${engineLabel[t.anchor]}: not measured (anchor skipped)`); continue; }
  lines.push(`  ${t.case}: ${engineLabel[t.client]} ${t.pierS.toFixed(2)} s ${t.how} ${engineLabel[t.anchor]} ${t.anchorS.toFixed(2)} s: ${t.verdict} (${t.ratio.toFixed(2)})`);
}
console.log(lines.join('\n'));

if (outPath) writeFileSync(outPath, `${JSON.stringify({ machine, table, targets, results }, null, 1)}\n`);
