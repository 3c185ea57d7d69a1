/**
 * ids: identifiers and names for containers, execs and networks, as dockerd
 * makes them: 64-hex random IDs (short form: first 12), generated
 * `<adjective>_<surname>` names with a digit appended on collision retries,
 * docker's container-name rule, and unique-prefix ID lookup.
 *
 * @example
 * const id = newId();                    // "3f9c…" (64 hex)
 * shortId(id);                           // "3f9c0a1b2c3d"
 * const name = validateContainerName(req.name ?? generateName(0));
 * truncIndexMatch(byId.entries(), '3f9'); // record | 'ambiguous' | undefined
 */
export { newId, shortId, generateName, validateContainerName, truncIndexMatch } from './ids.js';
export { ADJECTIVES, SURNAMES } from './words.js';
