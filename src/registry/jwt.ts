// JSON Web Tokens (RFC 7519) in compact JWS form (RFC 7515), signed ES256
// (ECDSA P-256) or RS256 (RSA PKCS#1 v1.5, SHA-256) with node:crypto: what
// the registry's token server issues and its access controller verifies
// (distribution `registry/auth/token`). Nothing else: no "none", no HMAC, and
// the algorithm is the key's, never the token header's choice.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import sjson from 'secure-json-parse';
import { InvalidParameterError } from '../errdefs/index.js';

export type JwtAlgorithm = 'ES256' | 'RS256';

/** Why a token was refused; the message names the reason (expired, bad signature…). */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
const B64URL = /^[A-Za-z0-9_-]*$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new InvalidTokenError(`malformed token ${what}`);
  let v: unknown;
  try {
    v = sjson.parse(Buffer.from(part, 'base64url').toString('utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    throw new InvalidTokenError(`malformed token ${what}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidTokenError(`malformed token ${what}`);
  return v as Record<string, unknown>;
}

/**
 * A signing key pair: signs tokens with the private key, verifies them with
 * the public one. `kid` is the RFC 7638 JWK thumbprint of the public key.
 */
export class TokenKey {
  readonly alg: JwtAlgorithm;
  readonly kid: string;
  readonly #private: KeyObject;
  readonly #public: KeyObject;

  /** InvalidParameterError unless the key is EC P-256 (ES256) or RSA of 2048 bits or more (RS256). */
  constructor(privateKey: KeyObject) {
    if (privateKey.type !== 'private') throw new InvalidParameterError('the token signing key must be a private key');
    const type = privateKey.asymmetricKeyType;
    const details = privateKey.asymmetricKeyDetails ?? {};
    if (type === 'ec' && details.namedCurve === 'prime256v1') this.alg = 'ES256';
    else if (type === 'rsa' && (details.modulusLength ?? 0) >= 2048) this.alg = 'RS256';
    else throw new InvalidParameterError(`the token signing key must be EC P-256 (ES256) or RSA of at least 2048 bits (RS256), not ${type ?? 'unknown'}${details.namedCurve ? ` ${details.namedCurve}` : details.modulusLength ? ` ${details.modulusLength}` : ''}`);
    this.#private = privateKey;
    this.#public = createPublicKey(privateKey);
    const jwk = this.#public.export({ format: 'jwk' });
    // RFC 7638: the required members, in lexicographic order, no whitespace.
    const members = this.alg === 'ES256' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
    this.kid = b64url(createHash('sha256').update(JSON.stringify(members)).digest());
  }

  /** A fresh EC P-256 key (ES256). */
  static generate(): TokenKey {
    return new TokenKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }

  /** A PEM private key (PKCS#8, SEC1 or PKCS#1, unencrypted). InvalidParameterError when unusable. */
  static fromPem(pem: string | Buffer): TokenKey {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw new InvalidParameterError(`not a PEM private key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new TokenKey(key);
  }

  /** The compact JWS of `claims`. */
  sign(claims: Readonly<Record<string, unknown>>): string {
    const input = `${b64url(JSON.stringify({ typ: 'JWT', alg: this.alg, kid: this.kid }))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), this.alg === 'ES256' ? { key: this.#private, dsaEncoding: 'ieee-p1363' } : this.#private);
    return `${input}.${b64url(sig)}`;
  }

  /**
   * The claims of a token this key signed. InvalidTokenError when it is not a
   * three-part JWS, names another algorithm or key, or its signature fails.
   * Claim values (expiry, audience…) are the caller's to check.
   */
  verify(token: string): Record<string, unknown> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new InvalidTokenError('malformed token: not a JWS compact serialization');
    const [h = '', p = '', s = ''] = parts;
    const header = decodeJson(h, 'header');
    if (header['alg'] !== this.alg) throw new InvalidTokenError(`token algorithm ${JSON.stringify(header['alg'])} is not ${this.alg}`);
    if (header['kid'] !== undefined && header['kid'] !== this.kid) throw new InvalidTokenError('token signed by an unknown key');
    if (!B64URL.test(s)) throw new InvalidTokenError('malformed token signature');
    const sig = Buffer.from(s, 'base64url');
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), this.alg === 'ES256' ? { key: this.#public, dsaEncoding: 'ieee-p1363' } : this.#public, sig);
    if (!ok) throw new InvalidTokenError('invalid token signature');
    return decodeJson(p, 'claims');
  }
}

/** A random token ID (`jti`). */
export function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}
