import type { FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;
/** A record longer than this without a newline is not conmon's: drop it rather than grow without bound. */
const MAX_CARRY = 1024 * 1024;

/** One complete line of a log file and the offset of its first byte. */
export interface Line {
  readonly offset: number;
  /** The line, with its terminating `\n`. */
  readonly bytes: Buffer;
}

/**
 * Reads complete lines forward from an open log file and can resume where it
 * stopped once the writer appends more: an unterminated last line is kept
 * back until its newline arrives (conmon may be in the middle of a write).
 */
export class LineCursor {
  readonly #fh: FileHandle;
  /** Offset of the next byte to read from the file. */
  #pos: number;
  /** Bytes read past the last newline, starting at #carryOffset. */
  #carry: Buffer = Buffer.alloc(0);
  #carryOffset: number;

  constructor(fh: FileHandle, start: number) {
    this.#fh = fh;
    this.#pos = start;
    this.#carryOffset = start;
  }

  get handle(): FileHandle {
    return this.#fh;
  }

  /** Offset just after the last complete line returned. */
  get position(): number {
    return this.#carryOffset;
  }

  /** Starts over at `offset` (the file was truncated under us). */
  reset(offset: number): void {
    this.#pos = offset;
    this.#carry = Buffer.alloc(0);
    this.#carryOffset = offset;
  }

  /**
   * Yields every complete line between the current position and `end`
   * (default: the end of the file as it is now). Lines starting before `end`
   * but ending after it are not returned.
   */
  async *lines(end = Number.POSITIVE_INFINITY): AsyncGenerator<Line> {
    const buf = Buffer.allocUnsafe(CHUNK);
    while (this.#pos < end) {
      const want = Math.min(CHUNK, end - this.#pos);
      const { bytesRead } = await this.#fh.read(buf, 0, want, this.#pos);
      if (bytesRead === 0) return;
      this.#pos += bytesRead;
      const chunk = this.#carry.length > 0 ? Buffer.concat([this.#carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
      const base = this.#carryOffset;
      let from = 0;
      try {
        for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
          const line: Line = { offset: base + from, bytes: chunk.subarray(from, nl + 1) };
          from = nl + 1;
          this.#carryOffset = base + from;
          yield line;
        }
      } finally {
        // Also when the consumer stops early: the unread rest stays for the next call.
        this.#carry = chunk.subarray(from);
      }
      if (this.#carry.length > MAX_CARRY) {
        this.#carryOffset += this.#carry.length;
        this.#carry = Buffer.alloc(0);
      }
    }
  }
}
