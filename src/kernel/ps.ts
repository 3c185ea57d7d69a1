import { execFile } from 'node:child_process';
import { InvalidParameterError, SystemError } from '../errdefs/index.js';

/** `GET /containers/{id}/top` body: ps's column titles and the container's rows. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export interface TopOptions {
  readonly signal?: AbortSignal;
  /** The ps binary (default `ps` on PATH, from procps). */
  readonly ps?: string;
}

/**
 * `docker top`: runs the host's `ps` with the user's arguments (default
 * `-ef`) and keeps the rows of the container's processes, as dockerd does
 * (moby `daemon/top_unix.go`). ps is asked for just those pids first
 * (`-q <pids>`); options that cannot be combined with `-q` (forest listings)
 * fall back to a full listing that is then filtered.
 *
 * @throws {InvalidParameterError} for ps arguments that would rename a
 *   column to PID, or output without a PID column.
 * @throws {SystemError} when ps fails (its first line of stderr) or is missing.
 */
export async function top(pids: readonly number[], psArgs = '-ef', opts: TopOptions = {}): Promise<TopResult> {
  const raw = psArgs.trim() === '' ? '-ef' : psArgs;
  validatePsArgs(raw);
  const args = raw.split(/\s+/).filter(Boolean);
  const ps = opts.ps ?? 'ps';
  let output: string | undefined;
  if (pids.length > 0) {
    output = await run(ps, [...args, `-q${pids.join(',')}`], opts.signal).catch(() => undefined);
  }
  output ??= await run(ps, args, opts.signal).catch((err: unknown) => {
    const failure = describePsFailure(err);
    // ps refusing the client's own arguments is the client's error (a 400); with docker's default
    // `-ef` a failing ps is the daemon's.
    if (failure instanceof SystemError && raw !== '-ef' && (err as { code?: unknown }).code !== 'ENOENT') {
      throw new InvalidParameterError(failure.message, { cause: err });
    }
    throw failure;
  });
  return parsePsOutput(output, new Set(pids));
}

/** dockerd refuses `-o x=PID…` for any column but pid: it would pass another column off as the PID. */
function validatePsArgs(psArgs: string): void {
  const re = /\s+(\S*)=\s*(PID\S*)/g;
  for (const m of psArgs.matchAll(re)) {
    if (m[1] !== 'pid') throw new InvalidParameterError(`specifying "${m[1] ?? ''}=${m[2] ?? ''}" is not allowed`);
  }
}

function run(file: string, args: string[], signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' }, ...(signal !== undefined ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (err !== null) reject(Object.assign(err, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

function describePsFailure(err: unknown): SystemError | InvalidParameterError {
  const e = err as Error & { code?: unknown; stderr?: string };
  if (e.code === 'ENOENT') return new SystemError('ps: exec: "ps": executable file not found in $PATH', { cause: err });
  const first = (e.stderr ?? '').split('\n')[0]?.trim();
  // Go's exec reports "exit status N" when ps said nothing.
  const detail = first !== undefined && first !== '' ? first : typeof e.code === 'number' ? `exit status ${e.code}` : e.message;
  // procps says "error: …" (and shows its usage) for arguments it refuses: the client's ps_args, a 400.
  if (/^error:/.test(first ?? '')) return new InvalidParameterError(`ps: ${detail}`, { cause: err });
  return new SystemError(`ps: ${detail}`, { cause: err });
}

/** Splits on ASCII whitespace only, as dockerd does (a Unicode space inside a command stays). */
function fieldsAscii(line: string): string[] {
  return line.split(/[\t\n\f\r ]+/).filter((f) => f !== '');
}

/**
 * Parses ps output: titles from the header line, then the rows whose PID
 * column is one of `pids`. The last column (CMD/COMMAND) may contain spaces:
 * the fields beyond the title count are joined into it with single spaces.
 * Thread rows (`-` in the PID column, as `ps -efm` prints) follow the process
 * they belong to.
 *
 * @throws {InvalidParameterError} `Couldn't find PID field in ps output`.
 */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new InvalidParameterError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  let previousKept = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const fields = fieldsAscii(line);
    if (fields.length === 0) continue;
    const pidField = fields[pidIndex] ?? '';
    if (pidField === '-') {
      if (previousKept) processes.push(toRow(fields, titles.length));
      continue;
    }
    if (!/^[+-]?\d+$/.test(pidField)) {
      throw new SystemError(`Unexpected pid '${pidField}': strconv.Atoi: parsing "${pidField}": invalid syntax`);
    }
    previousKept = pids.has(Number(pidField));
    if (previousKept) processes.push(toRow(fields, titles.length));
  }
  return { Titles: titles, Processes: processes };
}

function toRow(fields: string[], columns: number): string[] {
  if (columns <= 1) return [fields.join(' ')];
  const row = fields.slice(0, columns - 1);
  while (row.length < columns - 1) row.push('');
  row.push(fields.slice(columns - 1).join(' '));
  return row;
}
