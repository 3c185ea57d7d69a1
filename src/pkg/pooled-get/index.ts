/**
 * pooled-get: an HTTP/1.1 GET whose body is read into a few reused buffers.
 *
 * Node's http client hands out every body chunk in new memory: a socket read buffer, then the
 * parser's copy of it. On a VM where a page fault costs more than the copy it serves, that
 * churn was most of a 100 MB blob download's CPU (bench/README.md). Here the socket reads
 * straight into a pool (net/tls `onread`); the caller gets views into it and hands each back
 * with release() once done with it (written to disk, say). While every buffer is lent out the
 * socket pauses, so memory stays at the pool's size whatever the speed of either side.
 *
 * One request per connection (`Connection: close`); a body framed by Content-Length, chunked
 * transfer coding, or the connection's end. Redirects and auth are the caller's.
 *
 * @example
 * const res = await pooledGet({ url: new URL('http://127.0.0.1:5000/v2/x/blobs/sha256:…') });
 * for (let piece; (piece = await res.read()) !== null;) {
 *   hash.update(piece);
 *   out.write(piece, () => res.release(piece));
 * }
 */
export { pooledGet, HttpProtocolError, type PooledGetOptions, type PooledResponse } from './pooled-get.js';
