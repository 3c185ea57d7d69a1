/**
 * digest: sha256 content digests (`sha256:<64 hex>`), the addresses of blobs,
 * layers (diffIDs), configs and manifests.
 *
 * Hash in memory only small documents (`digestOf`); hash layers and blobs while
 * they stream (`DigestingStream` in a `pipeline()`, or `digestStream`).
 *
 * @example
 * const d = parseDigest(userInput);                 // InvalidParameterError when bad
 * const hasher = new DigestingStream();
 * await pipeline(body, hasher, createWriteStream(tmp));
 * if (hasher.digest() !== expected) throw …;
 */
export {
  type Digest, isDigest, parseDigest, digestHex, digestOf, Digester, DigestingStream, digestStream,
} from './digest.js';
