import { execFile } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { pack as tarPack, type Header } from 'tar-stream';
import { SystemError } from '../errdefs/index.js';
import { digestOf, type Digest } from '../pkg/digest/index.js';

/**
 * The offline base image: `busybox:latest` made from the host's busybox-static
 * as a one-layer image, so a fresh install with no network can run containers.
 * The layer is deterministic (fixed mtime, sorted entries, root-owned): the same
 * host binary always gives the same diffID and image ID.
 */
export interface BusyboxLayer {
  /** The uncompressed layer tar (about 2 MB: the binary plus headers). */
  tar: Buffer;
  /** sha256 of `tar`. */
  diffId: Digest;
  /** OCI architecture of the binary (amd64, arm64 …). */
  architecture: string;
}

const MTIME = new Date('2024-01-01T00:00:00Z');
const INSTALL_HINT = 'busybox-static is required: apt-get install busybox-static';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'sync:x:4:100:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
];
const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:', 'lp:x:7:',
  'mail:x:8:', 'kmem:x:9:', 'wheel:x:10:root', 'cdrom:x:11:', 'dialout:x:18:', 'floppy:x:19:',
  'video:x:28:', 'audio:x:29:', 'tape:x:32:', 'www-data:x:33:', 'operator:x:37:', 'utmp:x:43:',
  'users:x:100:', 'staff:x:50:', 'nogroup:x:65534:',
];
const SHADOW = PASSWD.map((l) => `${l.split(':')[0] ?? ''}:*:19723:0:99999:7:::`);
const lines = (ls: readonly string[]): string => `${ls.join('\n')}\n`;

const ETC: readonly { name: string; body: string; mode: number }[] = [
  { name: 'etc/group', body: lines(GROUP), mode: 0o644 },
  { name: 'etc/hostname', body: '', mode: 0o644 },
  { name: 'etc/hosts', body: lines(['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']), mode: 0o644 },
  { name: 'etc/nsswitch.conf', body: lines(['hosts: files dns']), mode: 0o644 },
  { name: 'etc/passwd', body: lines(PASSWD), mode: 0o644 },
  { name: 'etc/resolv.conf', body: '', mode: 0o644 },
  { name: 'etc/shadow', body: lines(SHADOW), mode: 0o600 },
];
const DIRS: readonly [string, number][] = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o755], ['root', 0o700],
  ['sys', 0o755], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
  ['var', 0o755], ['var/spool', 0o755], ['var/www', 0o755],
];

const machines: Record<number, string> = { 0x3e: 'amd64', 0xb7: 'arm64', 0x28: 'arm', 0x03: '386', 0xf3: 'riscv64', 0x16: 's390x', 0x15: 'ppc64le' };

/** Reads an ELF image: its OCI architecture and whether it asks for a program interpreter (is dynamic). */
export function inspectElf(bin: Buffer): { architecture: string; dynamic: boolean } | undefined {
  if (bin.length < 52 || bin.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = bin[4] === 2;
  const le = bin[5] === 1;
  const u16 = (o: number): number => (le ? bin.readUInt16LE(o) : bin.readUInt16BE(o));
  const u32 = (o: number): number => (le ? bin.readUInt32LE(o) : bin.readUInt32BE(o));
  const phoff = is64 ? Number(le ? bin.readBigUInt64LE(0x20) : bin.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  let dynamic = false;
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > bin.length) return undefined;
    if (u32(off) === 3 /* PT_INTERP */) dynamic = true;
  }
  return { architecture: machines[u16(0x12)] ?? 'unknown', dynamic };
}

async function packToBuffer(add: (entry: (h: Header, body?: Buffer | string) => Promise<void>) => Promise<void>): Promise<Buffer> {
  const p = tarPack();
  const out: Buffer[] = [];
  const collected = (async () => { for await (const c of p as AsyncIterable<Buffer>) out.push(c); })();
  await add((h, body) => new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body !== undefined) p.entry(h, body, cb);
    else p.entry(h, cb);
  }));
  p.finalize();
  await collected;
  return Buffer.concat(out);
}

function header(name: string, type: Header['type'], mode: number, extra: Partial<Header> = {}): Header {
  // Type bits keep tar-stream from replacing a zero mode; they are masked off on encode.
  const typeBits = type === 'directory' ? 0o040000 : type === 'symlink' ? 0o120000 : 0o100000;
  return {
    name, type, mode: typeBits | mode, mtime: MTIME, size: 0, linkname: '', uid: 0, gid: 0,
    uname: 'root', gname: 'root', devmajor: 0, devminor: 0, ...extra,
  };
}

/**
 * Builds the busybox layer from the host's static busybox (Debian's
 * busybox-static installs it as /bin/busybox): the usual top directories,
 * `bin/busybox`, one hard link to it in `bin/` per applet (`busybox --list`),
 * and minimal `etc/` files. SystemError when the binary is missing, not ELF,
 * or dynamically linked (it could not run in an empty rootfs).
 */
export async function buildBusyboxLayer(opts: { busyboxPath?: string } = {}): Promise<BusyboxLayer> {
  const path = opts.busyboxPath ?? '/bin/busybox';
  let head: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      // ELF and program headers sit at the start; check them before reading it all.
      const buf = Buffer.alloc(64 * 1024);
      head = buf.subarray(0, (await fh.read(buf, 0, buf.length, 0)).bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new SystemError(`cannot read "${path}": ${INSTALL_HINT}`, { cause: err });
  }
  const elf = inspectElf(head);
  if (elf === undefined) throw new SystemError(`"${path}" is not an ELF executable: ${INSTALL_HINT}`);
  if (elf.dynamic) throw new SystemError(`"${path}" is dynamically linked: ${INSTALL_HINT}`);
  const bin = await readFile(path);
  let listed: string;
  try {
    // Not util.promisify: an ESM import of node:util loads ~13 internal modules (~1 MB of RSS).
    listed = await new Promise<string>((resolve, reject) => {
      execFile(path, ['--list'], { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
  } catch (err) {
    throw new SystemError(`cannot list the applets of "${path}"`, { cause: err });
  }
  const applets = [...new Set(listed.split('\n').map((s) => s.trim()))]
    .filter((a) => a !== '' && a !== 'busybox' && !a.includes('/'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (!applets.includes('sh')) throw new SystemError(`"${path}" has no sh applet: ${INSTALL_HINT}`);

  const tar = await packToBuffer(async (add) => {
    for (const [dir, mode] of DIRS) {
      await add(header(`${dir}/`, 'directory', mode));
      if (dir === 'bin') {
        // The binary comes first so that every applet can hard-link to it.
        await add(header('bin/busybox', 'file', 0o755), bin);
        for (const a of applets) await add(header(`bin/${a}`, 'link', 0o755, { linkname: 'bin/busybox' }));
      }
      if (dir === 'etc') for (const f of ETC) await add(header(f.name, 'file', f.mode), f.body);
    }
  });
  return { tar, diffId: digestOf(tar), architecture: elf.architecture };
}

/**
 * The image config (docker/OCI JSON) of the busybox image, as the bytes whose
 * digest is the image ID. `created` is an RFC 3339 time; fix it for a stable ID.
 */
export function busyboxImageConfig(diffId: Digest, opts: { created: string; architecture?: string }): Buffer {
  const config = {
    architecture: opts.architecture ?? (process.arch === 'x64' ? 'amd64' : process.arch),
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: opts.created, created_by: "pier: busybox from the host's busybox-static" }],
    created: opts.created,
  };
  return Buffer.from(JSON.stringify(config));
}
