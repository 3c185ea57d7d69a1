/**
 * errdefs: the closed set of error classes every pier component throws.
 *
 * Each class carries a stable `code` and maps to exactly one HTTP status in
 * `api/errors.ts`. Add context by wrapping (`new SystemError(msg, { cause })`);
 * classification walks the cause chain from the outside in and the first
 * classified error wins (moby `httpstatus.FromError`).
 *
 * @example
 * throw new NotFoundError(`No such container: ${name}`);
 */

export abstract class PierError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidParameterError extends PierError { readonly code = 'PIER_ERR_INVALID_PARAMETER'; }
export class NotFoundError extends PierError { readonly code = 'PIER_ERR_NOT_FOUND'; }
export class ConflictError extends PierError { readonly code = 'PIER_ERR_CONFLICT'; }
export class NotModifiedError extends PierError { readonly code = 'PIER_ERR_NOT_MODIFIED'; }
export class UnauthorizedError extends PierError { readonly code = 'PIER_ERR_UNAUTHORIZED'; }
export class ForbiddenError extends PierError { readonly code = 'PIER_ERR_FORBIDDEN'; }
export class UnavailableError extends PierError { readonly code = 'PIER_ERR_UNAVAILABLE'; }
export class NotImplementedError extends PierError { readonly code = 'PIER_ERR_NOT_IMPLEMENTED'; }
/** A request body or head past pierd's bound (413): the client should send less. */
export class TooLargeError extends PierError { readonly code = 'PIER_ERR_TOO_LARGE'; }
/** The client went away: nothing is sent, logged at debug. */
export class CanceledError extends PierError { readonly code = 'PIER_ERR_CANCELED'; }
export class SystemError extends PierError { readonly code = 'PIER_ERR_SYSTEM'; }

export type ErrorClass =
  | typeof InvalidParameterError | typeof NotFoundError | typeof ConflictError | typeof NotModifiedError
  | typeof UnauthorizedError | typeof ForbiddenError | typeof UnavailableError | typeof NotImplementedError | typeof TooLargeError
  | typeof CanceledError | typeof SystemError;

/** The first classified PierError on the cause chain, outermost first; undefined when none. */
export function classify(err: unknown): PierError | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 32; depth++) {
    if (cur instanceof PierError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean { return classify(err) instanceof NotFoundError; }
export function isConflict(err: unknown): boolean { return classify(err) instanceof ConflictError; }
export function isNotModified(err: unknown): boolean { return classify(err) instanceof NotModifiedError; }

/** Message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
