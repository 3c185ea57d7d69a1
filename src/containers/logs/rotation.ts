import { rename, stat, truncate } from 'node:fs/promises';
import { InvalidParameterError } from '../../errdefs/index.js';

/** docker's json-file rotation settings (`--log-opt max-size=10m --log-opt max-file=3`). */
export interface RotationPolicy {
  /** Rotate once the file reaches this many bytes; -1 = never. */
  readonly maxSize: number;
  /** Files kept, the current one included (>= 1); 1 truncates instead of renaming. */
  readonly maxFile: number;
  /**
   * docker gzips rotated files when set. Accepted and validated as docker does,
   * but rotated files stay uncompressed for now (reading them needs no gunzip).
   */
  readonly compress?: boolean;
}

/** Options every log driver accepts (moby `logger.ValidateLogOpts`) plus json-file's own. */
const KNOWN_KEYS = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

/**
 * Validates a container's `HostConfig.LogConfig.Config` for the json-file
 * driver (the log pier serves through conmon's k8s-file) and returns its
 * rotation policy. Error texts are docker's; the daemon reports value errors
 * prefixed with `failed to initialize logging driver: ` as dockerd does at
 * start.
 *
 * @throws {InvalidParameterError} on an unknown key or a bad value.
 */
export function parseLogOpts(config: Readonly<Record<string, string>>): RotationPolicy {
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw new InvalidParameterError(`unknown log opt '${key}' for json-file log driver`);
  }
  const mode = config['mode'] ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') {
    throw new InvalidParameterError(`logger: logging mode not supported: ${mode}`);
  }
  if (config['max-buffer-size'] !== undefined && mode !== 'non-blocking') {
    throw new InvalidParameterError(`logger: max-buffer-size option is only supported with 'mode=non-blocking'`);
  }
  let maxSize = -1;
  const sizeText = config['max-size'];
  if (sizeText !== undefined) {
    maxSize = fromHumanSize(sizeText);
    if (maxSize <= 0) throw new InvalidParameterError('max-size must be a positive number');
  }
  let maxFile = 1;
  const fileText = config['max-file'];
  if (fileText !== undefined) {
    if (!/^[+-]?\d+$/.test(fileText)) throw new InvalidParameterError(`strconv.Atoi: parsing "${fileText}": invalid syntax`);
    maxFile = Number(fileText);
    if (maxFile < 1) throw new InvalidParameterError('max-file cannot be less than 1');
  }
  let compress = false;
  const compressText = config['compress'];
  if (compressText !== undefined) {
    compress = parseGoBool(compressText);
    if (compress && (maxFile === 1 || maxSize === -1)) {
      throw new InvalidParameterError('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { maxSize, maxFile, compress };
}

const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * go-units `FromHumanSize`, which json-file's max-size uses: SI units
 * (`10m` = 10,000,000 bytes, `1k` = 1000), an optional `b`/`ib` after the
 * unit letter, case-insensitive.
 */
export function fromHumanSize(text: string): number {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(text[i] ?? '')) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw new InvalidParameterError(`invalid size: '${text}'`);
  const num = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  let sfx = text.slice(sep + 1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new InvalidParameterError(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new InvalidParameterError(`invalid size: '${text}'`);
  if (sfx === '') return Math.trunc(size);
  sfx = sfx.toLowerCase();
  const bad = (): InvalidParameterError => new InvalidParameterError(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = DECIMAL[sfx[0] ?? ''];
  if (mul === undefined) throw bad();
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  size *= mul;
  return Math.trunc(size);
}

function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new InvalidParameterError(`strconv.ParseBool: parsing "${text}": invalid syntax`);
}

/** The rotated files a policy keeps, oldest first: `[<current>.2, <current>.1]` for max-file=3. */
export function rotatedPaths(current: string, policy: Pick<RotationPolicy, 'maxFile'>): string[] {
  const out: string[] = [];
  for (let i = policy.maxFile - 1; i >= 1; i--) out.push(`${current}.${i}`);
  return out;
}

const rotating = new Set<string>();

/**
 * Rotates `current` once it has reached `policy.maxSize` bytes, the way
 * docker's json-file does: `.N-1` is dropped, each `.k` becomes `.k+1`, the
 * current file becomes `.1`, and `reopen()` makes the writer (conmon: "2 0 0"
 * on its ctl FIFO) start a new file. With max-file=1 the file is truncated in
 * place, then reopened. Readers that follow the log notice either change.
 *
 * Returns true when it rotated. A call while another rotation of the same
 * file is in progress does nothing and returns false.
 */
export async function rotateIfNeeded(current: string, policy: RotationPolicy, reopen: () => Promise<void>): Promise<boolean> {
  if (policy.maxSize <= 0 || rotating.has(current)) return false;
  const st = await stat(current).catch(() => undefined);
  if (st === undefined || st.size < policy.maxSize) return false;
  rotating.add(current);
  try {
    if (policy.maxFile <= 1) {
      await truncate(current, 0);
    } else {
      // Renaming over the oldest kept file drops it.
      for (let i = policy.maxFile - 1; i >= 2; i--) {
        await rename(`${current}.${i - 1}`, `${current}.${i}`).catch(ignoreMissing);
      }
      await rename(current, `${current}.1`);
    }
    await reopen();
    return true;
  } finally {
    rotating.delete(current);
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
