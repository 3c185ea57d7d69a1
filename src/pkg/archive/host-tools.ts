import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { InvalidParameterError, SystemError } from '../../errdefs/index.js';

/**
 * Node has no mknod, mkfifo, setxattr or getxattr: these helpers run the
 * coreutils and `attr` package tools with argument arrays (never a shell).
 * Device nodes, fifos and xattrs are rare in layers, so the spawn cost is small.
 */

const toolDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = new Map<string, string | null>();

/** Absolute path of a host tool, or undefined when it is not installed. Cached. */
export async function findTool(name: string): Promise<string | undefined> {
  const hit = found.get(name);
  if (hit !== undefined) return hit ?? undefined;
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter((d) => d.startsWith('/')), ...toolDirs];
  for (const d of dirs) {
    try {
      await access(`${d}/${name}`, constants.X_OK);
      found.set(name, `${d}/${name}`);
      return `${d}/${name}`;
    } catch { /* not in this directory: try the next */ }
  }
  found.set(name, null);
  return undefined;
}

export interface ToolResult { code: number; stdout: Buffer; stderr: string }

/** Runs `cmd args…`, feeding `stdin` when given; rejects only when it cannot start. */
export function runTool(cmd: string, args: readonly string[], opts: { stdin?: Buffer; signal?: AbortSignal } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString().trim() }));
    child.stdin.on('error', () => { /* the tool exited early; its exit status reports why */ });
    child.stdin.end(opts.stdin ?? Buffer.alloc(0));
  });
}

async function mustRun(tool: string, args: readonly string[], what: string): Promise<void> {
  const bin = await findTool(tool);
  if (bin === undefined) throw new SystemError(`cannot ${what}: ${tool} is not installed`);
  const r = await runTool(bin, args);
  // The tool ran and the tree refused what the archive asked (the name exists, the place takes no
  // nodes): the archive's error, a 400. A missing tool above stays pier's own (500).
  if (r.code !== 0) throw new InvalidParameterError(`cannot ${what}: ${tool} exited with status ${r.code}: ${r.stderr}`);
}

export interface DeviceNode { path: string; kind: 'c' | 'b'; major: number; minor: number; mode: number }

/** Creates a device node (an overlay whiteout is `c 0 0` with mode 0). */
export function mknod(d: DeviceNode): Promise<void> {
  return mustRun('mknod', ['-m', (d.mode & 0o7777).toString(8), '--', d.path, d.kind, String(d.major), String(d.minor)],
    `create device node "${d.path}"`);
}

/** Creates many device nodes, a few spawns at a time. */
export async function mknodAll(nodes: readonly DeviceNode[], concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < nodes.length) {
      const n = nodes[next++];
      if (n !== undefined) await mknod(n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
}

/** Creates a named pipe. */
export function mkfifo(path: string, mode: number): Promise<void> {
  return mustRun('mkfifo', ['-m', (mode & 0o7777).toString(8), '--', path], `create fifo "${path}"`);
}

export interface Xattr { path: string; name: string; value: Buffer }

/** Escapes a path for getfattr's dump format: anything unusual as `\ooo`. */
function quotePath(p: string): string {
  let s = '';
  for (const b of Buffer.from(p)) {
    const c = String.fromCharCode(b);
    s += /[A-Za-z0-9._/+,@:~-]/.test(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return s;
}

function unquotePath(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '\\') { bytes.push(0x5c); i++; continue; }
    const oct = s.slice(i + 1, i + 4);
    if (s[i] === '\\' && /^[0-7]{3}$/.test(oct)) { bytes.push(parseInt(oct, 8)); i += 3; continue; }
    bytes.push(...Buffer.from(s[i] ?? ''));
  }
  return Buffer.from(bytes).toString();
}

/**
 * Sets xattrs (symlinks are not followed) with one `setfattr --restore=-` run.
 * Returns false, doing nothing, when setfattr (Debian package `attr`) is absent.
 * Throws SystemError naming setfattr's complaint when some could not be set.
 */
export async function setXattrs(attrs: readonly Xattr[]): Promise<boolean> {
  if (attrs.length === 0) return true;
  const bin = await findTool('setfattr');
  if (bin === undefined) return false;
  const lines: string[] = [];
  for (const a of attrs) {
    lines.push(`# file: ${quotePath(a.path)}`, `${a.name}=0s${a.value.toString('base64')}`, '');
  }
  const r = await runTool(bin, ['-h', '--restore=-'], { stdin: Buffer.from(lines.join('\n')) });
  if (r.code !== 0) throw new SystemError(`cannot set extended attributes: setfattr exited with status ${r.code}: ${r.stderr}`);
  return true;
}

/**
 * Reads the xattrs matching `pattern` (a getfattr regex) of every file in and
 * under `paths` with one `getfattr -R` run: host path → name → value.
 * Undefined when getfattr is not installed.
 */
export async function readXattrsTree(paths: readonly string[], pattern: string): Promise<Map<string, Map<string, Buffer>> | undefined> {
  const bin = await findTool('getfattr');
  if (bin === undefined) return undefined;
  // Exit status 1 only says some file had none or could not be read; the dump is still good.
  const r = await runTool(bin, ['-R', '-h', '-d', '-e', 'base64', '--absolute-names', '-m', pattern, '--', ...paths]);
  const out = new Map<string, Map<string, Buffer>>();
  let cur: Map<string, Buffer> | undefined;
  for (const line of r.stdout.toString().split('\n')) {
    if (line.startsWith('# file: ')) {
      cur = new Map();
      out.set(unquotePath(line.slice('# file: '.length)), cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (cur === undefined || eq <= 0) continue;
    const v = line.slice(eq + 1);
    const value = v.startsWith('0s') ? Buffer.from(v.slice(2), 'base64')
      : v.startsWith('0x') ? Buffer.from(v.slice(2), 'hex')
      : Buffer.from(v.replace(/^"|"$/g, ''));
    cur.set(line.slice(0, eq), value);
  }
  return out;
}
