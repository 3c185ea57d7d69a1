import { InvalidParameterError } from '../errdefs/index.js';

/**
 * docker's detach keys: a comma-separated sequence like "ctrl-p,ctrl-q"
 * (default), "ctrl-a,x"; `ctrl-<c>` is the control character, single
 * characters stand for themselves. An empty string disables detaching.
 */
export function parseDetachKeys(spec: string | null | undefined): number[] {
  const text = spec === null || spec === undefined ? 'ctrl-p,ctrl-q' : spec;
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    if (part.length === 1) { out.push(part.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/i.exec(part);
    const ch = m?.[1];
    if (!ch) throw new InvalidParameterError(`Invalid detach keys (${text}) provided`);
    const code = ch.toLowerCase().charCodeAt(0);
    if (code >= 0x61 && code <= 0x7a) out.push(code - 0x60);
    else if (ch === '@') out.push(0);
    else if (ch === '[') out.push(27);
    else if (ch === '\\') out.push(28);
    else if (ch === ']') out.push(29);
    else if (ch === '^') out.push(30);
    else if (ch === '_') out.push(31);
    else throw new InvalidParameterError(`Invalid detach keys (${text}) provided`);
  }
  return out;
}

/**
 * Scans stdin for the detach sequence. Bytes that could start the sequence are
 * held back until it is decided, then passed on (as docker's escape proxy does).
 */
export class DetachScanner {
  readonly #keys: number[];
  #matched = 0;
  constructor(keys: number[]) { this.#keys = keys; }

  /** Returns the bytes to forward and whether the sequence completed. */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.#keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.#matched > 0) {
        out.push(...this.#keys.slice(0, this.#matched));
        this.#matched = 0;
      }
      if (b === this.#keys[0]) { this.#matched = 1; continue; }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
