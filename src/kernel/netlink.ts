import { readFileSync, writeFileSync } from 'node:fs';
import { exec, ExecError } from './exec.js';

/**
 * Link and address changes through iproute2's batch mode: one `ip` process per
 * call however many commands it carries, and one more (nsenter) to run it in a
 * container's network namespace. pierd forks them through its fork server.
 */
export async function ipBatch(commands: readonly string[], o: { netnsPid?: number } = {}): Promise<void> {
  if (commands.length === 0) return;
  const input = commands.join('\n') + '\n';
  const r = o.netnsPid !== undefined
    ? await exec('nsenter', [`--net=/proc/${o.netnsPid}/ns/net`, '--', 'ip', '-b', '-'], { input, allowFailure: true })
    : await exec('ip', ['-b', '-'], { input, allowFailure: true });
  if (r.code !== 0) {
    // iproute2 prints its whole usage on a bad line: keep the complaint and the failing command.
    const lines = r.stderr.trim().split('\n');
    const failed = /Command failed -:(\d+)/.exec(r.stderr);
    const cmd = failed ? commands[Number(failed[1]) - 1] : undefined;
    throw new ExecError(`ip: ${lines[0] ?? `exit status ${r.code}`}${cmd ? ` (in "${cmd}")` : ''}`, r);
  }
}

/**
 * Runs `ip -b` inside a process's network namespace after setting sysctls of
 * that namespace and loading nft commands into it: one nsenter, one shell,
 * and the tools it execs.
 */
export async function netnsSetup(pid: number, o: { ip: readonly string[]; sysctls?: Record<string, string>; nft?: string }): Promise<void> {
  const sysctls = Object.entries(o.sysctls ?? {});
  if (sysctls.length === 0 && !o.nft) return ipBatch(o.ip, { netnsPid: pid });
  for (const [k] of sysctls) if (!/^[a-z0-9_./-]+$/i.test(k)) throw new Error(`invalid sysctl ${k}`);
  // Values travel as arguments ($1 …), never interpolated into the script.
  const args: string[] = [];
  let script = '';
  sysctls.forEach(([k, v], i) => {
    script += `echo "$${2 * i + 2}" > "/proc/sys/$${2 * i + 1}" && `;
    args.push(k.replace(/\./g, '/'), v);
  });
  if (o.nft) { script += `nft "$${args.length + 1}" && `; args.push(o.nft); }
  script += o.ip.length ? 'exec ip -b -' : 'true';
  const r = await exec('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'sh', '-c', script, 'sh', ...args], { input: o.ip.join('\n') + '\n', allowFailure: true });
  if (r.code !== 0) throw new ExecError(`setting up the container's network: ${r.stderr.trim().split('\n')[0] ?? `exit status ${r.code}`}`, r);
}

/**
 * Interface names of pierd's own network namespace. Read from /proc/self/net/dev,
 * not /sys/class/net: sysfs shows the namespace of whoever mounted it, which is
 * not pierd's when pierd was started with `nsenter --net` (a test host, a
 * daemon per namespace).
 */
export function linkNames(): string[] {
  let text: string;
  try { text = readFileSync('/proc/self/net/dev', 'utf8'); } catch { return []; }
  const out: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i > 0) out.push(line.slice(0, i).trim());
  }
  return out;
}

export function linkExists(name: string): boolean {
  return linkNames().includes(name);
}

export interface HostRoute { iface: string; dest: number; bits: number }

/** IPv4 routes of the host's main table (/proc/net/route), the default route left out. */
export function hostRoutes(): HostRoute[] {
  let text: string;
  try { text = readFileSync('/proc/net/route', 'utf8'); } catch { return []; }
  const out: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // The kernel prints the in-memory (little-endian) word: reading the hex bytes
    // back little-endian gives the address as a big-endian number.
    const dest = Buffer.from(f[1] ?? '', 'hex').readUInt32LE(0);
    let bits = 0;
    for (let m = Buffer.from(f[7] ?? '', 'hex').readUInt32LE(0); m; m = (m & (m - 1)) >>> 0) bits++;
    if (bits === 0) continue;
    out.push({ iface: f[0] ?? '', dest, bits });
  }
  return out;
}

/** IPv4 addresses configured on the host's interfaces (from /proc/net/fib_trie's local entries). */
export function hostAddresses(): string[] {
  let text: string;
  try { text = readFileSync('/proc/net/fib_trie', 'utf8'); } catch { return []; }
  const out = new Set<string>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (/\/32 host LOCAL/.test(lines[i] ?? '')) {
      const m = /([\d.]+)\s*$/.exec(lines[i - 1] ?? '');
      if (m?.[1]) out.add(m[1]);
    }
  }
  return [...out];
}

/** Routing between interfaces, which bridge networks need (docker sets the same). */
export function enableIPv4Forwarding(): void {
  try {
    if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  } catch { /* read-only /proc/sys: egress will not work, the rest does */ }
}

/** Forwarding-database changes through iproute2's `bridge` in batch mode. */
export async function bridgeBatch(commands: readonly string[]): Promise<void> {
  if (commands.length === 0) return;
  const r = await exec('bridge', ['-b', '-'], { input: commands.join('\n') + '\n', allowFailure: true });
  if (r.code !== 0) throw new ExecError(`bridge: ${r.stderr.trim().split('\n')[0] ?? `exit status ${r.code}`}`, r);
}

/** Bridges and their alias (`ip link set … alias`), from one `ip -o link show type bridge`. */
export async function bridgeAliases(): Promise<Map<string, string>> {
  const r = await exec('ip', ['-o', 'link', 'show', 'type', 'bridge'], { allowFailure: true });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name) out.set(name, /\\\s+alias\s(\S+)/.exec(line)?.[1] ?? '');
  }
  return out;
}

/** Each link's bridge (its `master`), from one `ip -o link show`. */
export async function linkMasters(): Promise<Map<string, string | undefined>> {
  const r = await exec('ip', ['-o', 'link', 'show'], { allowFailure: true });
  const out = new Map<string, string | undefined>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:.*?(?:\smaster\s(\S+))?(?:\s|$)/.exec(line);
    if (m?.[1]) out.set(m[1], / master (\S+)/.exec(line)?.[1]);
  }
  return out;
}
