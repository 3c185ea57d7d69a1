/**
 * bench/network/report.mjs: turns the results of one bench/network/run (JSON lines)
 * into bench/results/<timestamp>-network.json and prints the table (median, min–max)
 * with pier's ratio to each anchor measured in the same run, and where pierd's
 * start time goes (its "task started" marks).
 *
 *   node report.mjs RESULTS.jsonl MACHINE.json OUT.json [--markdown]
 *   node report.mjs --from bench/results/<timestamp>-network.json [--markdown]   (re-render only)
 */
import { writeFileSync } from 'node:fs';
import { reportInput } from '../lib/report-input.mjs';

const { results, machine, outPath, markdown } = reportInput();
const batch = machine.batch ?? results.find((r) => r.case === 'n2.seq')?.containers;
const lookups = machine.lookups;

/** kind: 'ms' (lower is better), 'rate' (containers/s), 'mbps' (MB/s from a download's time). */
const ROWS = [
  ['n1.none', '1 run --rm true, --network none', 'ms'],
  ['n1.bridge', '1 run --rm true, default bridge (no other container on it)', 'ms'],
  ['n1.bridge-busy', '1 run --rm true, default bridge (one container already on it)', 'ms'],
  ['n1.cost', '1 cost of the bridge: idle bridge − none, paired', 'ms'],
  ['n1.cost-busy', '1 cost of the bridge: busy bridge − none, paired', 'ms'],
  ['n2.run', '2 run -d on a user network (create + start)', 'ms'],
  ['n2.rm', '2 rm -f of that running container', 'ms'],
  ['n2.seq', `2 ${batch ?? 'N'} × run -d in sequence on one user network`, 'rate'],
  ['n2.rmall', `2 rm -f of those ${batch ?? 'N'}, one call`, 'ms'],
  ['n3.proxy', '3 127.0.0.1:P → userland proxy (pierd / docker-proxy)', 'mbps'],
  ['n3.kernel', "3 own address:P → DNAT (pier: nftables; dockerd: iptables)", 'mbps'],
  ['n3.direct', '3 container address:80 directly (floor)', 'mbps'],
  ['n4.dns', `4 name lookup of another container (nslookup, ${lookups ?? 'N'} per run)`, 'ms'],
  ['n4.floor', '4 the same loop, query refused by 127.0.0.1 (floor)', 'ms'],
  ['n4.cost', "4 the server's share per lookup: lookup − floor, paired", 'ms'],
];
const ENGINES = ['pier', 'dockerd', 'podman'];
const ANCHORS = ['dockerd', 'podman'];

const rec = (c, e) => results.find((r) => r.case === c && r.engine === e);
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** { text, value } of one engine's figure in a row; value is what the ratio divides. */
function figure(row, e) {
  const [, , kind] = row;
  const r = rec(row[0], e);
  if (!r) return undefined;
  if (r.error) return { text: 'failed', value: undefined };
  if (kind === 'rate') {
    const n = r.containers ?? batch;
    const v = n / (r.median / 1000);
    return { text: `${v.toFixed(1)}/s (${(n / (r.max / 1000)).toFixed(1)}–${(n / (r.min / 1000)).toFixed(1)})`, value: v };
  }
  if (kind === 'mbps') {
    const mb = (ms) => r.bytes / (ms / 1000) / 1e6;
    const v = mb(r.median);
    return { text: `${v.toFixed(0)} MB/s (${mb(r.max).toFixed(0)}–${mb(r.min).toFixed(0)})`, value: v };
  }
  return { text: `${fmt(r.median)} ms (${fmt(r.min)}–${fmt(r.max)})`, value: r.median };
}

const table = [];
for (const row of ROWS) {
  const [key, label, kind] = row;
  const cells = Object.fromEntries(ENGINES.map((e) => [e, figure(row, e)]));
  if (!ENGINES.some((e) => cells[e])) continue;
  const n = rec(key, 'pier')?.n;
  const better = kind === 'rate' || kind === 'mbps' ? ' ↑' : '';
  const unpaired = String(rec(key, 'pier')?.tool ?? '').startsWith('difference');
  const t = { case: key, label: `${unpaired ? label.replace('paired', 'difference of medians') : label}${n && !unpaired ? ` (n${n})` : ''}${better}` };
  for (const e of ENGINES) t[e] = cells[e]?.text ?? '–';
  for (const a of ANCHORS) {
    const p = cells.pier?.value, q = cells[a]?.value;
    t[`pier/${a}`] = p !== undefined && q !== undefined && q > 0 && p > 0 ? (p / q).toFixed(2) : '';
  }
  table.push(t);
}

const head = ['figure', 'pier', 'dockerd', 'podman', 'pier/dockerd', 'pier/podman'];
const rows = table.map((t) => [t.label, t.pier, t.dockerd, t.podman, t['pier/dockerd'], t['pier/podman']]);
function render(h, rs) {
  if (markdown) return [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...rs.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const w = h.map((x, i) => Math.max(x.length, ...rs.map((r) => String(r[i]).length)));
  return [h, ...rs].map((r) => r.map((x, i) => String(x).padEnd(w[i])).join('  ').trimEnd()).join('\n');
}

// pierd's own start marks (from its debug log), phase by phase, for each kind of start.
const MARKS = [
  ['marks.n1.none', 'run --rm, --network none'],
  ['marks.n1.bridge', 'run --rm, default bridge (idle)'],
  ['marks.n1.bridge-busy', 'run --rm, default bridge (busy)'],
  ['marks.n2.run', 'run -d, user network'],
];
const PHASES = ['mount', 'etc+spec+bundle', 'runtime create', 'network', 'attach+start', 'total'];
const pierMarks = [];
for (const [key, label] of MARKS) {
  const r = rec(key, 'pier');
  if (!r || !r.phasesMs) continue;
  pierMarks.push({ case: key, label: `${label} (n${r.n})`, ...r.phasesMs });
}

const lines = [render(head, rows), ''];
lines.push('median (min–max); ↑ = higher is better, else lower is better; ratios are pier / anchor of the median.');
lines.push(String(machine.timing ?? '').startsWith('hyperfine')
  ? 'Case 1 timed with hyperfine, one command after the other: its "paired" rows are differences of medians. Cases 2-4 are interleaved.'
  : 'Timing is interleaved (rounds of one run per engine and variant in turn); "paired" rows are the median of per-round differences.');
lines.push(`MB/s = 10^6 bytes/s over a ${machine.payloadMiB ?? '?'} MiB download with curl. pier runs in the host's network namespace (own address ${machine.pierHostAddress || '–'}),`);
lines.push(`the anchors in one of their own (own address ${machine.anchorAddress ?? '–'}); pierd logs at debug level for its marks.`);
if (pierMarks.length) {
  lines.push('', 'where pierd\'s start goes (its "task started" marks; median ms of each phase, start request → running):', '');
  lines.push(render(['start', ...PHASES], pierMarks.map((m) => [m.label, ...PHASES.map((p) => (m[p] ? fmt(m[p].median) : '–'))])));
}
console.log(lines.join('\n'));

if (outPath) writeFileSync(outPath, `${JSON.stringify({ machine, table, pierMarks, results }, null, 1)}\n`);
