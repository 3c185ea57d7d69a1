// `pier stats`: one /stats stream per container, redrawn every 500 ms (or
// printed once with --no-stream).

import { jsonLines, type StatsResponse } from '../../client/index.js';
import { type Handler, writeOut } from '../context.js';
import { renderRows } from '../formatting.js';
import { STATS_DEFAULT_TABLE, STATS_HEADERS, type StatsEntry, invalidEntry, statsRow, toEntry } from '../stats-calc.js';

export const statsCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const client = ctx.client();
  const noStream = f.bool('no-stream');
  const trunc = !f.bool('no-trunc');
  const format = f.string('format') ?? '';
  const all = f.bool('all');
  const named = ctx.args.length > 0;
  const entries = new Map<string, StatsEntry>();
  const abort = new AbortController();

  const collect = async (container: string): Promise<void> => {
    entries.set(container, entries.get(container) ?? invalidEntry(container));
    try {
      const res = await client.containers.stats(container, { stream: !noStream, signal: abort.signal });
      for await (const v of jsonLines<StatsResponse>(res.body)) {
        entries.set(container, toEntry(container, v));
        if (noStream) break;
      }
    } catch {
      entries.set(container, invalidEntry(container));
    }
    if (!named && !noStream) entries.delete(container);
  };

  const discover = async (): Promise<void> => {
    const list = await client.containers.list({ all });
    for (const c of list) {
      const short = c.Id.slice(0, 12);
      if (!entries.has(short)) void collect(short);
    }
  };

  if (named) {
    const first = ctx.args.map((c) => collect(c));
    if (noStream) await Promise.all(first);
  } else {
    if (noStream) {
      const list = await client.containers.list({ all });
      await Promise.all(list.map((c) => collect(c.Id.slice(0, 12))));
    } else await discover();
  }
  const draw = (): void => {
    const rows = [...entries.values()].map((e) => statsRow(e, trunc));
    const text = renderRows(format, rows, { defaultTable: STATS_DEFAULT_TABLE, headers: STATS_HEADERS, json: (r) => r });
    if (noStream) { writeOut(text); return; }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    writeOut(`\x1b[H${lines.map((l) => `${l} \x1b[K\n`).join('')}\x1b[J`);
  };
  if (noStream) { draw(); return 0; }
  // like docker, run until interrupted (SIGINT's default action ends the process)
  let tick = 0;
  try {
    writeOut('\x1b[2J');
    while (!abort.signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      if (abort.signal.aborted) break;
      if (!named && ++tick % 2 === 0) await discover().catch(() => {});
      draw();
      if (entries.size === 0 && named) break;
    }
  } finally {
    abort.abort();
  }
  return 0;
};
