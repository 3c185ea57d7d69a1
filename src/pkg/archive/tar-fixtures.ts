import { gzipSync } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';

/** Test helper: one tar entry; `pax` adds PAX records (xattrs …). */
export type FixtureEntry = Partial<Header> & { name: string; body?: string | Buffer; pax?: Record<string, string> };

/** Test helper: builds a small tar in memory (tests only; real code streams). */
export async function tarOf(entries: readonly FixtureEntry[], opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const p = tarPack();
  const out: Buffer[] = [];
  const done = (async () => { for await (const c of p as AsyncIterable<Buffer>) out.push(c); })();
  for (const e of entries) {
    const { body, ...h } = e;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body !== undefined) p.entry({ mtime: new Date(0), ...h }, body, cb);
      else p.entry({ mtime: new Date(0), ...h }, cb);
    });
  }
  p.finalize();
  await done;
  const tar = Buffer.concat(out);
  return opts.gzip === true ? gzipSync(tar) : tar;
}

/** Test helper: the headers (and small bodies) of a tar, in order. */
export async function listTar(input: AsyncIterable<Uint8Array> | Buffer): Promise<(Header & { body: Buffer; pax?: Record<string, string> | null })[]> {
  const { extract } = await import('tar-stream');
  const ex = extract();
  const res: (Header & { body: Buffer; pax?: Record<string, string> | null })[] = [];
  const src = Buffer.isBuffer(input) ? [input] : input;
  const feed = (async () => { for await (const c of src) ex.write(c); ex.end(undefined); })();
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    const pax = entry.header.pax as Record<string, string> | null | undefined;
    const { pax: _raw, ...rest } = entry.header;
    res.push({ ...rest, body: Buffer.concat(chunks), ...(pax ? { pax } : {}) });
  }
  await feed;
  return res;
}
