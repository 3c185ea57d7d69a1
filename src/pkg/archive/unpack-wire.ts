import * as errdefs from '../../errdefs/index.js';
import type { WhiteoutMode } from './extractor.js';

export type { WhiteoutMode };

/** An error as it crosses from the unpacking worker: its class (when pier's), message and errno fields. */
export interface WireError { cls?: string; message: string; code?: string; errno?: number; syscall?: string; path?: string }

const classes: Record<string, new (message: string) => errdefs.PierError> = {
  InvalidParameterError: errdefs.InvalidParameterError,
  NotFoundError: errdefs.NotFoundError,
  ConflictError: errdefs.ConflictError,
  UnavailableError: errdefs.UnavailableError,
  CanceledError: errdefs.CanceledError,
  SystemError: errdefs.SystemError,
  TooLargeError: errdefs.TooLargeError,
  ForbiddenError: errdefs.ForbiddenError,
};

export function errorToWire(err: unknown): WireError {
  const pier = errdefs.classify(err);
  const e = err as { message?: unknown; code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown };
  const w: WireError = { message: errdefs.messageOf(err) };
  if (pier && classes[pier.name]) w.cls = pier.name;
  if (typeof e?.code === 'string') w.code = e.code;
  if (typeof e?.errno === 'number') w.errno = e.errno;
  if (typeof e?.syscall === 'string') w.syscall = e.syscall;
  if (typeof e?.path === 'string') w.path = e.path;
  return w;
}

/** The worker's error, rebuilt as the same pier class (a host error keeps its errno code). */
export function errorFromWire(w: WireError): Error {
  const Cls = w.cls ? classes[w.cls] : undefined;
  if (Cls) return new Cls(w.message);
  const err = new Error(w.message) as Error & Omit<WireError, 'cls' | 'message'>;
  if (w.code !== undefined) err.code = w.code;
  if (w.errno !== undefined) err.errno = w.errno;
  if (w.syscall !== undefined) err.syscall = w.syscall;
  if (w.path !== undefined) err.path = w.path;
  return err;
}
