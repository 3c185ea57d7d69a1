/**
 * Hand-made tar archives for the fuzzer, well-formed or not: headers are built
 * byte by byte so a test can lie about sizes, break checksums, cut an archive
 * short or name entries outside the extraction root.
 */
import type { Rng } from './rng.js';

export interface TarEntry {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, '6' fifo, 'x' pax header, 'L' GNU long name … */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** The size written into the header when it should lie about the data that follows. */
  declaredSize?: number | string;
  badChecksum?: boolean;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0').slice(-(width - 1)) + '\0';
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name.slice(0, 100), 0, 'utf8');
  h.write(octal(e.mode ?? 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  const declared = e.declaredSize ?? size;
  h.write(typeof declared === 'string' ? declared.slice(0, 12).padEnd(12, '\0') : octal(Math.min(declared, 0o77777777777), 12), 124, 'latin1');
  h.write(octal(1_700_000_000, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname) h.write(e.linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(e.badChecksum ? sum + 7 : sum, 7) + ' ', 148, 'latin1');
  return h;
}

/** A tar stream of the entries, ended by two zero blocks unless `noEnd`. */
export function tar(entries: readonly TarEntry[], opts: { noEnd?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0);
    parts.push(header(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (!opts.noEnd) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A PAX extended header entry that sets `path` (for names longer than 100 bytes). */
export function paxPath(path: string): TarEntry {
  const rec = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return `${len}${body}`;
  };
  return { name: 'PaxHeader', type: 'x', data: rec('path', path) };
}

/**
 * Hostile entries that try to leave the extraction root: relative `../`, absolute
 * paths, a symlink followed by a file below it, hard links to host files. Every
 * path a safe extractor would let out lands under `canary` on the host.
 */
export function escapeEntries(rng: Rng, canary: string): TarEntry[] {
  const leaf = `${canary}/x${rng.int(1000)}`;
  switch (rng.int(8)) {
    case 0: return [{ name: `../../../../../../../..${leaf}`, data: 'escaped' }];
    case 1: return [{ name: leaf, data: 'escaped' }];
    case 2: return [{ name: 'evil', type: '2', linkname: canary }, { name: 'evil/x', data: 'escaped' }];
    case 3: return [{ name: 'evil', type: '2', linkname: '../../../../../../..' + canary }, { name: 'evil/y', data: 'escaped' }];
    case 4: return [{ name: 'hl', type: '1', linkname: '/etc/hostname' }, { name: 'hl2', type: '1', linkname: '../../../../../../etc/hostname' }];
    case 5: return [paxPath(`a/${'../'.repeat(12)}${leaf.slice(1)}`), { name: 'placeholder', data: 'escaped' }];
    case 6: return [{ name: 'd', type: '5', mode: 0o755 }, { name: 'd/../../../../../../../..' + leaf, data: 'escaped' }];
    default: return [{ name: 'dir', type: '2', linkname: '/' }, { name: `dir${leaf}`, data: 'escaped' }];
  }
}

/** Malformed entries: lying sizes, bad checksums, junk types, names with NUL and invalid UTF-8. */
export function brokenEntries(rng: Rng): TarEntry[] {
  switch (rng.int(9)) {
    case 0: return [{ name: 'big', data: 'short', declaredSize: 0o77777777777 }];
    case 1: return [{ name: 'neg', data: 'x', declaredSize: '-0000000001' }];
    case 2: return [{ name: 'nan', data: 'x', declaredSize: 'zzzzzzzzzzz' }];
    case 3: return [{ name: 'sum', data: 'x', badChecksum: true }];
    case 4: return [{ name: 'weird', type: String.fromCharCode(33 + rng.int(90)), data: 'x' }];
    case 5: return [{ name: 'nul\0name', data: 'x' }];
    case 6: return [{ name: Buffer.from([0x66, 0xff, 0xfe, 0x2f, 0xc0, 0xaf]).toString('latin1'), data: 'x' }];
    case 7: return [paxPath('x'.repeat(5000 + rng.int(70_000))), { name: 'long', data: 'x' }];
    default: return [{ name: '', data: 'x' }, { name: '.', type: '5' }, { name: '/', type: '5' }];
  }
}

/** Cuts a tar somewhere inside (a header, its data or the end blocks). */
export function truncate(rng: Rng, t: Buffer): Buffer {
  return t.subarray(0, rng.int(Math.max(1, t.length)));
}
