/**
 * filters: docker's `filters` query parameter, shared by the API server
 * (decode, validate, match) and the CLI (encode).
 *
 * A filter document maps a key to a set of values. Values of one key are
 * OR-ed, different keys AND-ed; `label=k` tests presence and `label=k=v`
 * equality (all label values must hold). Both wire encodings are accepted:
 * the map form `{"label":{"a=b":true}}` (docker CLI, dockerode) and the list
 * form `{"label":["a=b"]}` (docker-py, compose). Error texts are moby v28's:
 * `invalid filter` for a bad document, `invalid filter '<key>'` for an
 * unsupported key.
 *
 * @example
 * const f = parseFilters(query.get('filters'));
 * validateFilters(f, ['label', 'status']);
 * const keep = matchLabels(f, c.Labels) && matchAny(f, 'status', (s) => s === c.State);
 */
export {
  parseFilters, validateFilters, filterValues, matchLabels, matchPruneLabels, matchAny, exactMatch, fuzzyMatch,
  regexpMatch, getBoolOrDefault, encodeFilters, parseBool, type Filters,
} from './filters.js';
