// Turning daemon responses and socket failures into errdefs classes, with the
// texts docker's Go client produces (the CLI prints them verbatim).

import {
  ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, NotImplementedError,
  NotModifiedError, type PierError, SystemError, UnauthorizedError, UnavailableError,
} from '../errdefs/index.js';

/** The daemon's answer behind an errdefs error: its HTTP status and its `message`. */
export class DaemonResponse extends Error {
  readonly status: number;
  readonly daemonMessage: string;
  constructor(status: number, daemonMessage: string) {
    super(daemonMessage);
    this.name = 'DaemonResponse';
    this.status = status;
    this.daemonMessage = daemonMessage;
  }
}

/** Parses an error body the way docker's client does: JSON `message` only when the type is exactly application/json. */
export function errorMessageFromBody(contentType: string | undefined, body: string): string | undefined {
  if (contentType === 'application/json' || contentType?.startsWith('application/json;') === true) {
    try {
      const v: unknown = JSON.parse(body);
      if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
        return (v as { message: string }).message;
      }
    } catch {
      // not JSON after all: fall back to the raw body, as docker does
    }
  }
  const t = body.trim();
  return t === '' ? undefined : t;
}

/**
 * The error for a non-2xx response. Its message is docker's
 * `Error response from daemon: <message>`; `cause` is a DaemonResponse.
 */
export function responseError(opts: { status: number; statusText?: string | undefined; contentType?: string | undefined; body: string; url: string }): PierError {
  const msg = errorMessageFromBody(opts.contentType, opts.body);
  const text = msg === undefined
    ? `request returned ${opts.status} ${opts.statusText ?? ''} for API route and version ${opts.url}, check if the server supports the requested API version`.replace('  ', ' ')
    : `Error response from daemon: ${msg}`;
  const cause = new DaemonResponse(opts.status, msg ?? '');
  switch (opts.status) {
    case 304: return new NotModifiedError(text, { cause });
    case 400: return new InvalidParameterError(text, { cause });
    case 401: return new UnauthorizedError(text, { cause });
    case 403: return new ForbiddenError(text, { cause });
    case 404: return new NotFoundError(text, { cause });
    case 409: return new ConflictError(text, { cause });
    case 501: return new NotImplementedError(text, { cause });
    case 503: return new UnavailableError(text, { cause });
    default: return new SystemError(text, { cause });
  }
}

/** docker's text when the socket cannot be reached. */
export function connectError(host: string, cause: unknown): UnavailableError {
  return new UnavailableError(`Cannot connect to the Docker daemon at ${host}. Is the docker daemon running?`, { cause });
}

/** True for socket errors that mean "nobody listens there". */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ENOTSOCK' || code === 'EHOSTUNREACH';
}
