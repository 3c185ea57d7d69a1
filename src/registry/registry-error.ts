// The OCI distribution error codes and the one function that turns any thrown
// value into one of them (distribution `registry/api/errcode/register.go`,
// distribution-spec "Error Codes").

import { classify, ForbiddenError, UnauthorizedError, UnavailableError } from '../errdefs/index.js';

/** The spec's codes (code-1…14) plus distribution's extensions clients also know. */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID' | 'NAME_UNKNOWN'
  | 'SIZE_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS'
  | 'PAGINATION_NUMBER_INVALID' | 'RANGE_INVALID' | 'UNAVAILABLE' | 'UNKNOWN';

/** Default status and message of each code (the messages are distribution's, which clients print). */
const registered: Readonly<Record<RegistryErrorCode, { status: number; message: string }>> = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'The operation is unsupported.' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
};

export interface RegistryErrorOptions {
  readonly message?: string;
  readonly detail?: unknown;
  /** Overrides the code's default status (e.g. 416 for an out-of-order chunk). */
  readonly status?: number;
  /** Extra response headers (e.g. `Range` on a 416, `WWW-Authenticate` on a 401). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * An error the registry sends as `{"errors":[{"code","message","detail"}]}`.
 * Handlers and stores throw it; only `sendError` in the server writes it.
 */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: RegistryErrorCode, opts: RegistryErrorOptions = {}) {
    const reg = registered[code];
    super(opts.message ?? reg.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = opts.status ?? reg.status;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  /** The JSON body of the error response. */
  body(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const e: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return { errors: [e] };
  }
}

/** Several errors in one response (e.g. every blob a manifest misses); the first one sets the status. */
export class RegistryErrors extends Error {
  readonly errors: readonly RegistryError[];
  constructor(errors: readonly RegistryError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'RegistryErrors';
    this.errors = errors;
  }
}

/**
 * Maps any thrown value to the registry error the client sees. RegistryError
 * passes through; the errdefs classes that have an OCI code map to it. A
 * NotFoundError is not guessed at (blob? manifest? upload?): the stores turn
 * their misses into the precise RegistryError, so one reaching here is a 500
 * UNKNOWN, like anything else unexpected.
 */
export function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const known = classify(err);
  if (known instanceof UnauthorizedError) return new RegistryError('UNAUTHORIZED', { cause: err });
  if (known instanceof ForbiddenError) return new RegistryError('DENIED', { cause: err });
  if (known instanceof UnavailableError) return new RegistryError('UNAVAILABLE', { cause: err });
  return new RegistryError('UNKNOWN', { cause: err });
}
