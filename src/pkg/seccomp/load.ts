// Reading seccomp profiles: the default one from disk, and `--security-opt seccomp=<json>` text.

import * as fs from 'node:fs';
import secureJson from 'secure-json-parse';
import { InvalidParameterError, SystemError } from '../../errdefs/index.js';
import { parseProfile } from './profile.js';

/** Where Debian's golang-github-containers-common installs the default profile. */
export const DEFAULT_SECCOMP_PROFILE_PATH = '/usr/share/containers/seccomp.json';

/** Size cap for profile text (the default profile is ~16 KiB). */
const MAX_PROFILE_BYTES = 1024 * 1024;

/**
 * Parse profile text (as sent in `--security-opt seccomp=<json>`): JSON with `__proto__`
 * protection, then validated. Throws InvalidParameterError in docker's words
 * (`Decoding seccomp profile failed: …`).
 */
export function parseProfileText(text: string): unknown {
  if (text.length > MAX_PROFILE_BYTES) throw new InvalidParameterError('Decoding seccomp profile failed: profile too large');
  let json: unknown;
  try {
    json = secureJson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new InvalidParameterError(`Decoding seccomp profile failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  parseProfile(json);
  return json;
}

/**
 * Read and validate the default docker-format profile. Read at run time: the file belongs to the
 * distribution. Throws SystemError when unreadable or malformed (a host problem, not the user's).
 */
export function loadDefaultSeccompProfile(path: string = DEFAULT_SECCOMP_PROFILE_PATH): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new SystemError(`Cannot read seccomp profile ${JSON.stringify(path)}`, { cause: err });
  }
  try {
    return parseProfileText(text);
  } catch (err) {
    throw new SystemError(`Invalid seccomp profile ${JSON.stringify(path)}`, { cause: err });
  }
}
