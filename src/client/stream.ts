// Docker's stream framings on the client side: the 8-byte multiplexed stdio
// frames (attach, exec, logs of non-TTY containers) and newline-delimited JSON
// (events, pull/import progress, stats).

import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import sjson from 'secure-json-parse';

/** 0 stdin, 1 stdout, 2 stderr, 3 systemerr (the daemon's own error text). */
export type StreamId = 0 | 1 | 2 | 3;

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

/**
 * Splits a multiplexed byte stream into frames. Feed it chunks as they arrive
 * (frames may span chunks, or several share one); each complete payload goes
 * to `onFrame`.
 */
export class FrameDemuxer {
  readonly #onFrame: (stream: StreamId, data: Buffer) => void;
  #buf: Buffer = Buffer.alloc(0);

  constructor(onFrame: (stream: StreamId, data: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 8) {
      const size = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + size) break;
      const kind = this.#buf[0] ?? 1;
      const payload = this.#buf.subarray(8, 8 + size);
      this.#buf = this.#buf.subarray(8 + size);
      this.#onFrame((kind <= 3 ? kind : 1) as StreamId, payload);
    }
  }

  /** Bytes of an incomplete frame left over at the end. */
  get pending(): number { return this.#buf.length; }
}

/** Builds one frame (tests, and anything that must speak the framing). */
export function encodeFrame(stream: StreamId, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** Yields each JSON object of a newline-delimited JSON stream. Lines that are not JSON are skipped. */
export async function* jsonLines<T>(body: Readable, maxLine = 16 * 1024 * 1024): AsyncGenerator<T> {
  for await (const { value } of jsonLinesRaw<T>(body, maxLine)) yield value;
}

/** Like jsonLines, with each line's text too (for numbers past 2^53, e.g. an event's timeNano). */
export async function* jsonLinesRaw<T>(body: Readable, maxLine = 16 * 1024 * 1024): AsyncGenerator<{ value: T; raw: string }> {
  let pending = '';
  const dec = new StringDecoder('utf8');
  for await (const chunk of body) {
    pending += Buffer.isBuffer(chunk) ? dec.write(chunk) : String(chunk);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') {
        const v = parseLine<T>(line);
        if (v !== undefined) yield { value: v, raw: line };
      }
    }
    if (pending.length > maxLine) throw new Error(`JSON stream line exceeds ${maxLine} bytes`);
  }
  const rest = (pending + dec.end()).trim();
  if (rest !== '') {
    const v = parseLine<T>(rest);
    if (v !== undefined) yield { value: v, raw: rest };
  }
}

function parseLine<T>(line: string): T | undefined {
  try {
    return sjson.parse(line, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as T;
  } catch {
    // a torn or foreign line: skip it, as docker's decoder would fail the whole stream otherwise
    return undefined;
  }
}
