/**
 * cli-helpers: what the `pier` CLI end-to-end suites share: run `pier` and the real
 * docker CLI against one private pierd (or with a hand-made environment), put their
 * output side by side with the program names made equal, and read docker's
 * tabwriter tables (3-space padding) into cells so two tables can be compared
 * column by column with the time-dependent cells masked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { run, poll, pierBin, dockerBin, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { rawRequest } from '../../harness/clients.js';

export const docker = dockerBin() ?? 'docker';

/** One CLI bound to a daemon: `run` runs, `ok` asserts exit 0 and returns stdout, `fmt` is `inspect -f`. */
export interface BoundCli {
  run(args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  ok(...args: string[]): Promise<string>;
  fmt(format: string, name: string): Promise<string>;
}

export function boundCli(bin: string, getDaemon: () => PrivateDaemon): BoundCli {
  const label = bin === pierBin ? 'pier' : 'docker';
  const r = (args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> => run(bin, [...args], getDaemon(), opts);
  const ok = async (...args: string[]): Promise<string> => {
    const res = await r(args);
    assert.equal(res.code, 0, `${label} ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
    return res.stdout;
  };
  const fmt = async (format: string, name: string): Promise<string> => (await ok('inspect', '-f', format, name)).trim();
  return { run: r, ok, fmt };
}

/**
 * Runs `bin cmd` inside script(1), so it has a terminal. script's stdin stays open
 * until it exits: at EOF script would type the terminal's EOF character into the
 * session, and a container tty that is still up echoes it ("^@") into the output.
 */
export function inScript(bin: string, cmd: string, d: PrivateDaemon): Promise<RunResult> {
  return run('script', ['-eqc', `${bin} ${cmd}`, '/dev/null'], d, { holdStdin: true });
}

/** Runs a binary with exactly `env` (no daemon address added), stdin closed after `input`. */
export function runWithEnv(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(bin, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
    p.stdin.end(input);
  });
}

/** The process environment without any daemon address, plus `extra`. */
export function envWithout(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['DOCKER_HOST'];
  delete env['PIER_HOST'];
  delete env['DOCKER_CONTEXT'];
  return { ...env, ...extra };
}

/** Makes program names equal so pier's and docker's messages compare ("pier: …" vs "docker: …"). */
export function sameProgram(text: string): string {
  return text.replace(/\b(docker|pier)\b/g, 'CLI');
}

/** Asserts two results agree on exit code, stdout and stderr, program names aside. */
export function assertSameResult(pier: RunResult, dockers: RunResult, what: string): void {
  assert.equal(pier.code, dockers.code, `${what}: exit code (pier stderr: ${pier.stderr})`);
  assert.equal(sameProgram(pier.stderr), sameProgram(dockers.stderr), `${what}: stderr`);
  assert.equal(sameProgram(pier.stdout), sameProgram(dockers.stdout), `${what}: stdout`);
}

export interface TableColumn { readonly name: string; readonly start: number; readonly width: number | undefined }
export interface Table { readonly columns: readonly TableColumn[]; readonly rows: ReadonlyArray<readonly string[]> }

/**
 * Reads a docker table: header names are runs of words joined by single spaces;
 * a column's cells are the text from its header's offset up to the next one.
 * `width` is the distance to the next column (undefined for the last).
 */
export function parseTable(text: string): Table {
  const lines = text.split('\n').filter((l) => l !== '');
  const header = lines[0] ?? '';
  const starts: Array<{ name: string; start: number }> = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], start: m.index });
  const columns = starts.map((c, i) => ({ ...c, width: starts[i + 1] !== undefined ? (starts[i + 1]?.start ?? 0) - c.start : undefined }));
  const rows = lines.slice(1).map((l) => columns.map((c) => l.slice(c.start, c.width === undefined ? undefined : c.start + c.width).trimEnd()));
  return { columns, rows };
}

/** Asserts docker's tabwriter layout (minimum width 10, padding 3) on every column but the last. */
export function assertPadded(t: Table, what: string): void {
  t.columns.forEach((c, i) => {
    if (c.width === undefined) return;
    const widest = Math.max(c.name.length, ...t.rows.map((r) => (r[i] ?? '').length));
    assert.equal(c.width, Math.max(10, widest + 3), `${what}: column ${c.name} is ${c.width} wide, widest cell ${widest}`);
  });
}

/**
 * Asserts pier's table matches docker's: same headers, same rows in the same
 * order (or in any order with `unordered`), same cells and widths, except the
 * `masked` (time-dependent) columns, whose cells and widths are only checked
 * for pier's own tabwriter layout.
 */
export function assertSameTable(pierText: string, dockerText: string, masked: readonly string[], what: string, opts: { unordered?: boolean } = {}): void {
  const p = parseTable(pierText);
  const dk = parseTable(dockerText);
  assert.deepEqual(p.columns.map((c) => c.name), dk.columns.map((c) => c.name), `${what}: headers`);
  assertPadded(p, `${what} (pier)`);
  const keep = (t: Table): Array<{ name: string; width: number | undefined }> => t.columns.map((c) => ({ name: c.name, width: masked.includes(c.name) ? -1 : c.width }));
  assert.deepEqual(keep(p), keep(dk), `${what}: column widths`);
  const cells = (t: Table): string[][] => {
    const rows = t.rows.map((r) => r.map((cell, i) => (masked.includes(t.columns[i]?.name ?? '') ? '*' : cell)));
    return opts.unordered ? rows.sort((a, b) => a.join('\t').localeCompare(b.join('\t'))) : rows;
  };
  assert.deepEqual(cells(p), cells(dk), `${what}: rows`);
}

/** A shell snippet that blocks until the test creates /go inside the container. */
export const waitGo = 'while [ ! -f /go ]; do sleep 0.05; done';
/** A pid 1 that exits 0 on SIGTERM at once, so stop/restart need no kill timeout. */
export const stoppable = 'trap "exit 0" TERM; while :; do sleep 0.1; done';

/** The part of GET /containers/{id}/json the suites read when they wait or check state. */
export interface ContainerJson {
  readonly Id: string;
  readonly Name: string;
  readonly RestartCount: number;
  readonly State: { readonly Status: string; readonly ExitCode: number; readonly Pid: number; readonly Paused: boolean; readonly Running: boolean };
}

/**
 * Reads a container straight from the API (no CLI process: cheap enough to poll);
 * undefined when it does not exist.
 */
export async function apiContainer(d: PrivateDaemon, name: string): Promise<ContainerJson | undefined> {
  const r = await rawRequest(d, { path: `/containers/${encodeURIComponent(name)}/json` });
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as ContainerJson;
}

/** Polls the API until the container's state satisfies `cond`. */
export async function waitState(d: PrivateDaemon, name: string, cond: (c: ContainerJson) => boolean, what: string, ms = 10_000): Promise<ContainerJson> {
  return poll(async () => { const c = await apiContainer(d, name); return c && cond(c) ? c : undefined; }, ms, `${name}: ${what}`);
}

/** Cleanup through the API: force-removes containers, ignoring ones already gone. */
export async function removeContainers(d: PrivateDaemon, ...names: string[]): Promise<void> {
  await Promise.all(names.map((n) => rawRequest(d, { method: 'DELETE', path: `/containers/${encodeURIComponent(n)}?force=1` })));
}

/** Cleanup through the API: removes image references, ignoring ones already gone. */
export async function removeImages(d: PrivateDaemon, ...refs: string[]): Promise<void> {
  for (const r of refs) await rawRequest(d, { method: 'DELETE', path: `/images/${encodeURIComponent(r)}?force=1` });
}
