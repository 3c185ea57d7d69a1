// Pumps a hijacked attach/exec connection to and from the terminal: demuxes
// frames (or copies raw TTY bytes) to stdout/stderr with backpressure, forwards
// stdin (half-closing on EOF), puts a TTY in raw mode, and watches for the
// detach keys (ctrl-p ctrl-q by default) the way docker's hijackedIOStreamer does.

import { FrameDemuxer, type Hijacked, MULTIPLEXED } from '../client/index.js';

export const DEFAULT_DETACH_KEYS = [16, 17];

/** docker's term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]; "a" → [97]. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const raw of spec.split(',')) {
    const k = raw.trim().toLowerCase();
    if (k.length > 1 && !k.startsWith('ctrl-')) throw new Error(`Unknown character: '${raw}'`);
    if (k.startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${raw}'`);
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (c === '@') out.push(0);
      else if (c >= '[' && c <= '_') out.push(c.charCodeAt(0) - 64);
      else throw new Error(`Unknown character: '${raw}'`);
    } else if (k.length === 1) {
      out.push(raw.trim().charCodeAt(0));
    } else throw new Error(`Unknown character: '${raw}'`);
  }
  return out;
}

/**
 * Filters input for a key sequence. Bytes that might start the sequence are
 * held back; when the sequence completes, `feed` returns `detached: true`.
 */
export class EscapeFilter {
  readonly #keys: readonly number[];
  #held: number[] = [];
  constructor(keys: readonly number[]) { this.#keys = keys; }

  feed(chunk: Uint8Array): { pass: Buffer; detached: boolean } {
    const pass: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#held.length]) {
        this.#held.push(b);
        if (this.#held.length === this.#keys.length) { this.#held = []; return { pass: Buffer.from(pass), detached: true }; }
        continue;
      }
      pass.push(...this.#held);
      this.#held = [];
      if (b === this.#keys[0]) this.#held.push(b); else pass.push(b);
    }
    return { pass: Buffer.from(pass), detached: false };
  }
}

/**
 * Puts the stdin terminal in raw mode the way docker's term.MakeRaw does.
 * Node's setRawMode leaves output post-processing (OPOST/ONLCR) on, so the
 * container's "\r\n" would reach the screen as "\r\r\n"; stty clears it.
 * setRawMode(false) puts back the whole termios saved before raw mode
 * (OPOST included), and Node resets stdio on exit and fatal signals too.
 */
function makeRaw(stdin: NodeJS.ReadStream): void {
  stdin.setRawMode(true);
  // child_process loaded here, not at start-up: most CLI runs never need it.
  process.getBuiltinModule('node:child_process').spawnSync('stty', ['-opost'], { stdio: [0, 'ignore', 'ignore'] });
}

export interface PumpOptions {
  conn: Hijacked;
  tty: boolean;
  /** Forward this process's stdin. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export interface Pump {
  /** Settles when the output ends ('eof') or the user typed the detach keys ('detached'). */
  readonly done: Promise<'eof' | 'detached'>;
  /** Stops everything and restores the terminal (idempotent). */
  close(): void;
}

function writer(stream: NodeJS.WriteStream, socket: Hijacked['socket']): (b: Buffer) => void {
  return (b) => {
    if (!stream.write(b)) {
      socket.pause();
      stream.once('drain', () => socket.resume());
    }
  };
}

export function pumpStreams(o: PumpOptions): Pump {
  const { socket } = o.conn;
  const stdin = process.stdin;
  let rawSet = false;
  let closed = false;
  let resolveDone: (v: 'eof' | 'detached') => void = () => {};
  const done = new Promise<'eof' | 'detached'>((r) => { resolveDone = r; });

  const restore = (): void => {
    if (rawSet && stdin.isTTY) { stdin.setRawMode(false); rawSet = false; }
  };
  const stopInput = (): void => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    restore();
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    if (o.stdin) stopInput();
    socket.destroy();
  };

  // Raw mode (and OPOST off) before the first output byte is written, or the terminal
  // would still translate the container's \r\n into \r\r\n (an exec's output can
  // arrive with the hijack response itself).
  if (o.stdin && o.tty && stdin.isTTY) { makeRaw(stdin); rawSet = true; }

  // output
  const toOut = writer(process.stdout, socket);
  const toErr = o.tty ? toOut : writer(process.stderr, socket);
  const multiplexed = !o.tty || o.conn.contentType === MULTIPLEXED;
  const demux = new FrameDemuxer((stream, data) => {
    if (stream === 2 || stream === 3) { if (o.stderr || stream === 3) toErr(data); } else if (o.stdout) toOut(data);
  });
  const onOutput = (chunk: Buffer): void => {
    if (multiplexed) demux.push(chunk);
    else if (o.stdout) toOut(chunk);
  };
  if (o.conn.head.length > 0) onOutput(o.conn.head);
  socket.on('data', onOutput);
  const finish = (): void => { if (o.stdin) stopInput(); resolveDone('eof'); };
  socket.on('end', finish);
  socket.on('close', finish);
  socket.on('error', finish);

  // input
  let filter: EscapeFilter | undefined;
  function onData(chunk: Buffer): void {
    let data = chunk;
    if (filter) {
      const r = filter.feed(chunk);
      data = r.pass;
      if (data.length > 0) socket.write(data);
      if (r.detached) { resolveDone('detached'); close(); }
      return;
    }
    if (!socket.write(data)) {
      stdin.pause();
      socket.once('drain', () => { if (!closed) stdin.resume(); });
    }
  }
  function onEnd(): void {
    if (!socket.destroyed) socket.end();
  }
  if (o.stdin) {
    if (o.tty) {
      let keys = DEFAULT_DETACH_KEYS;
      if (o.detachKeys) { try { keys = parseDetachKeys(o.detachKeys); } catch { /* docker falls back to the default keys */ } }
      filter = new EscapeFilter(keys);
    }
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  }
  return { done, close };
}
