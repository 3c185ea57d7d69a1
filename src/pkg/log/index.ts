/**
 * log: pier's structured JSON logger, writing one line per entry to stderr.
 *
 * Child loggers carry bindings (`component`, `container`, `req`).
 *
 * @example
 * const log = rootLogger.child({ component: 'runtime' });
 * log.info('container started', { container: id });
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level?: Level;
  write?: (line: string) => void;
}

function errFields(v: unknown): unknown {
  if (v instanceof Error) {
    const out: Record<string, unknown> = { message: v.message, name: v.name };
    if (v.stack) out['stack'] = v.stack;
    if (v.cause !== undefined) out['cause'] = errFields(v.cause);
    return out;
  }
  return v;
}

class JsonLogger implements Logger {
  readonly #min: number;
  readonly #bindings: Record<string, unknown>;
  readonly #write: (line: string) => void;
  constructor(min: number, bindings: Record<string, unknown>, write: (line: string) => void) {
    this.#min = min; this.#bindings = bindings; this.#write = write;
  }
  #emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (order[level] < this.#min) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...this.#bindings };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = errFields(v);
    this.#write(JSON.stringify(entry) + '\n');
  }
  debug(msg: string, f?: Record<string, unknown>): void { this.#emit('debug', msg, f); }
  info(msg: string, f?: Record<string, unknown>): void { this.#emit('info', msg, f); }
  warn(msg: string, f?: Record<string, unknown>): void { this.#emit('warn', msg, f); }
  error(msg: string, f?: Record<string, unknown>): void { this.#emit('error', msg, f); }
  enabled(level: Level): boolean { return order[level] >= this.#min; }
  child(bindings: Record<string, unknown>): Logger {
    return new JsonLogger(this.#min, { ...this.#bindings, ...bindings }, this.#write);
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => { process.stderr.write(line); });
  return new JsonLogger(order[opts.level ?? 'info'], {}, write);
}

export function parseLevel(s: string): Level | undefined {
  const v = s.toLowerCase();
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  if (v === 'warning') return 'warn';
  if (v === 'fatal' || v === 'panic') return 'error';
  return undefined;
}

/** A logger that drops everything (tests). */
export const nullLogger: Logger = createLogger({ level: 'error', write: () => {} });
