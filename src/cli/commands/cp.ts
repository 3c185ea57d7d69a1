// `pier cp`: container ↔ host through the archive endpoints, with docker's
// path rules (trailing `/`, `/.` = contents, `-` = a tar on stdin/stdout).
// Tars are renamed on the fly so the top entry lands under the right name,
// and extracted with pkg/archive's safe extractor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Client, PathStat } from '../../client/index.js';
import { isNotFound } from '../../errdefs/index.js';
import { createTar, extractTar } from '../../pkg/archive/index.js';
import { type Handler, StatusError, writeErr } from '../context.js';
import { humanSize } from '../units.js';

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

interface Spec { container?: string; path: string }

/** `name:path` names a container path unless it looks like a local path (starts with / or .). */
export function splitCpArg(arg: string): Spec {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** Renames entries `from[/…]` to `to[/…]` (to '' drops the top entry and strips the prefix). */
export function rebaseTar(input: Readable, from: string, to: string): Readable {
  const ex = tar.extract();
  const pack = tar.pack();
  const out = new PassThrough();
  const map = (name: string): string | undefined => {
    const n = name.replace(/^\.\//, '').replace(/\/$/, '');
    if (n === from) return to === '' ? undefined : to;
    if (n.startsWith(`${from}/`)) return to === '' ? n.slice(from.length + 1) : `${to}${n.slice(from.length)}`;
    return n;
  };
  ex.on('entry', (header, stream, next) => {
    const name = map(header.name);
    if (name === undefined) { stream.resume(); stream.on('end', next); return; }
    const h = { ...header, name };
    if (header.type === 'link' && header.linkname) h.linkname = map(header.linkname) ?? header.linkname;
    const entry = pack.entry(h, (err) => { if (err) ex.destroy(err); else next(); });
    stream.pipe(entry);
  });
  ex.on('finish', () => pack.finalize());
  ex.on('error', (err) => out.destroy(err));
  pack.on('error', (err) => out.destroy(err));
  input.on('error', (err) => ex.destroy(err));
  input.pipe(ex);
  pack.pipe(out);
  return out;
}

function isDirStat(s: PathStat): boolean { return (s.mode & GO_MODE_DIR) !== 0; }

async function copyFromContainer(client: Client, src: Spec & { container: string }, dst: string, followLink: boolean): Promise<number> {
  let srcPath = src.path;
  let renameTo: string | undefined;
  if (followLink) {
    // like docker, stat first only to resolve a symlink source
    const st = await client.containers.statPath(src.container, srcPath);
    if ((st.mode & GO_MODE_SYMLINK) !== 0 && st.linkTarget !== '') {
      renameTo = path.posix.basename(srcPath);
      srcPath = st.linkTarget.startsWith('/') ? st.linkTarget : path.posix.join(path.posix.dirname(srcPath), st.linkTarget);
    }
  }
  const { body, stat } = await client.containers.getArchive(src.container, srcPath);
  if (dst === '-') { await pipeline(body, process.stdout, { end: false }); return 0; }
  const base = stat.name !== '' ? stat.name : path.posix.basename(srcPath);
  let counted = 0;
  body.on('data', (c: Buffer) => { counted += c.length; });
  const contentsOnly = src.path.endsWith('/.') && isDirStat(stat);
  let dstStat: fs.Stats | undefined;
  try { dstStat = fs.statSync(dst); } catch { dstStat = undefined; }
  let destDir: string;
  let stream: Readable = body;
  if (dstStat?.isDirectory()) {
    destDir = dst;
    if (contentsOnly) stream = rebaseTar(body, base, '');
    else if (renameTo !== undefined) stream = rebaseTar(body, base, renameTo);
  } else if (dstStat) {
    if (isDirStat(stat)) throw new StatusError(1, `cannot overwrite non-directory "${dst}" with directory "${src.path}"`);
    destDir = path.dirname(dst);
    stream = rebaseTar(body, base, path.basename(dst));
  } else {
    if (dst.endsWith('/') && !isDirStat(stat)) throw new StatusError(1, 'no such directory');
    destDir = path.dirname(path.resolve(dst));
    if (!fs.existsSync(destDir)) throw new StatusError(1, `destination directory "${destDir}" must exist`);
    stream = rebaseTar(body, base, path.basename(path.resolve(dst)));
  }
  await extractTar(stream, destDir, { whiteouts: 'literal', noOverwriteDirNonDir: true, chown: false });
  return counted;
}

async function copyToContainer(client: Client, src: string, dst: Spec & { container: string }, opts: { archive: boolean; followLink: boolean }): Promise<number> {
  if (src === '-') {
    await client.containers.putArchive(dst.container, dst.path, process.stdin, { copyUIDGID: opts.archive });
    return 0;
  }
  let st: fs.Stats;
  try { st = opts.followLink ? fs.statSync(src) : fs.lstatSync(src); } catch { throw new StatusError(1, `lstat ${path.resolve(src)}: no such file or directory`); }
  let dstStat: PathStat | undefined;
  try { dstStat = await client.containers.statPath(dst.container, dst.path); } catch (err) { if (!isNotFound(err)) throw err; }
  const abs = path.resolve(src);
  const srcBase = path.basename(abs);
  const srcDir = path.dirname(abs);
  let target = dst.path;
  let tarStream: Readable;
  if (dstStat && isDirStat(dstStat)) {
    if (src.endsWith('/.') && st.isDirectory()) tarStream = createTar(abs);
    else tarStream = createTar(srcDir, { paths: [srcBase] });
  } else if (dstStat) {
    if (st.isDirectory()) throw new StatusError(1, `cannot overwrite non-directory "${dst.path}" with directory "${src}"`);
    target = path.posix.dirname(dst.path);
    tarStream = createTar(srcDir, { paths: [srcBase], rename: { from: srcBase, to: path.posix.basename(dst.path) } });
  } else {
    if (dst.path.endsWith('/') && !st.isDirectory()) throw new StatusError(1, 'no such directory');
    const clean = dst.path.replace(/\/+$/, '') || '/';
    target = path.posix.dirname(clean);
    tarStream = createTar(srcDir, { paths: [srcBase], rename: { from: srcBase, to: path.posix.basename(clean) } });
  }
  let counted = 0;
  tarStream.on('data', (c: Buffer) => { counted += c.length; });
  await client.containers.putArchive(dst.container, target, tarStream, { copyUIDGID: opts.archive });
  return counted;
}

export const cpCommand: Handler = async (ctx) => {
  const [a = '', b = ''] = ctx.args;
  const src = splitCpArg(a);
  const dst = splitCpArg(b);
  if (src.container !== undefined && dst.container !== undefined) throw new StatusError(1, 'copying between containers is not supported');
  if (src.container === undefined && dst.container === undefined) throw new StatusError(1, 'must specify at least one container source');
  if ((src.container !== undefined && src.path === '') || (dst.container !== undefined && dst.path === '')) throw new StatusError(1, 'filesystem path cannot be empty');
  const client = ctx.client();
  const quiet = ctx.flags.bool('quiet') || !process.stderr.isTTY;
  let bytes: number;
  if (src.container !== undefined) {
    bytes = await copyFromContainer(client, { container: src.container, path: src.path }, b, ctx.flags.bool('follow-link'));
  } else {
    bytes = await copyToContainer(client, a, { container: dst.container ?? '', path: dst.path }, { archive: ctx.flags.bool('archive'), followLink: ctx.flags.bool('follow-link') });
  }
  if (!quiet && b !== '-' && a !== '-') writeErr(`Successfully copied ${humanSize(bytes)} to ${b}\n`);
};
