import { randomBytes, randomInt } from 'node:crypto';
import { InvalidParameterError } from '../../errdefs/index.js';
import { ADJECTIVES, SURNAMES } from './words.js';

const ALL_DIGITS_12 = /^[0-9]{12}/;

/**
 * A new container/exec/network ID: 32 random bytes as 64 lower-case hex.
 * Regenerated while the first 12 characters are all digits, because the short
 * ID becomes the container's hostname and must not read as a number (moby
 * `stringid.GenerateRandomID`).
 */
export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!ALL_DIGITS_12.test(id)) return id;
  }
}

/** The 12-character short form docker prints; a `sha256:` prefix is dropped first. */
export function shortId(id: string): string {
  const bare = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return bare.slice(0, 12);
}

function pick(words: readonly string[]): string {
  return words[randomInt(words.length)] ?? 'pier';
}

/**
 * A random `<adjective>_<surname>` name. `retry` is the attempt number after
 * a name collision: from 1 on, one random digit is appended (`tender_euler3`),
 * as dockerd does. Never returns `boring_wozniak` (Steve Wozniak is not boring).
 */
export function generateName(retry = 0): string {
  let name: string;
  do {
    name = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
  } while (name === 'boring_wozniak');
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Checks a user-supplied container name and returns it without its one
 * optional leading `/` (the store keeps names as `/<name>`).
 * Throws InvalidParameterError with docker's text:
 * `Invalid container name (<name as given>), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`.
 */
export function validateContainerName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!VALID_NAME.test(bare)) {
    throw new InvalidParameterError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return bare;
}

/**
 * Looks an ID up by exact value or unique prefix (moby `truncindex`):
 * an exact match wins; one prefix match returns its value; several return
 * `'ambiguous'`; none (or an empty prefix) returns undefined.
 */
export function truncIndexMatch<T>(items: Iterable<readonly [string, T]>, prefix: string): T | 'ambiguous' | undefined {
  if (prefix === '') return undefined;
  let found: { value: T } | undefined;
  let ambiguous = false;
  for (const [id, value] of items) {
    if (id === prefix) return value;
    if (id.startsWith(prefix)) {
      if (found) ambiguous = true;
      else found = { value };
    }
  }
  if (ambiguous) return 'ambiguous';
  return found?.value;
}
