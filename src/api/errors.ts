import {
  classify, CanceledError, ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, NotImplementedError,
  NotModifiedError, TooLargeError, UnauthorizedError, UnavailableError, messageOf,
} from '../errdefs/index.js';

/**
 * The one place where an error becomes an HTTP status (moby httpstatus.FromError):
 * the first classified error on the cause chain decides; anything else is 500.
 */
/** The client went away mid-request: an aborted signal or a stream closed under us. */
function isClientGone(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return !!e && (e.name === 'AbortError' || e.code === 'ABORT_ERR' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'EPIPE' || e.code === 'ECONNRESET');
}

export function errorStatus(err: unknown): { status: number; message: string; canceled: boolean } {
  if (isClientGone(err)) return { status: 499, message: messageOf(err), canceled: true };
  const c = classify(err);
  const message = c ? c.message : messageOf(err);
  if (c instanceof InvalidParameterError) return { status: 400, message, canceled: false };
  if (c instanceof NotFoundError) return { status: 404, message, canceled: false };
  if (c instanceof ConflictError) return { status: 409, message, canceled: false };
  if (c instanceof NotModifiedError) return { status: 304, message, canceled: false };
  if (c instanceof UnauthorizedError) return { status: 401, message, canceled: false };
  if (c instanceof ForbiddenError) return { status: 403, message, canceled: false };
  if (c instanceof UnavailableError) return { status: 503, message, canceled: false };
  if (c instanceof NotImplementedError) return { status: 501, message, canceled: false };
  if (c instanceof TooLargeError) return { status: 413, message, canceled: false };
  if (c instanceof CanceledError) return { status: 499, message, canceled: true };
  return { status: 500, message, canceled: false };
}
