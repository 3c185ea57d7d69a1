// `n`/`last` pagination of tag lists and the catalog (distribution-spec
// "Listing Tags", end-8b), with the `Link: <…>; rel="next"` header.

import { RegistryError } from './registry-error.js';

export interface Page {
  readonly items: readonly string[];
  /** The `Link` header value when more entries follow. */
  readonly link?: string;
}

/**
 * Cuts one page out of `sorted`: the entries after `last`, at most `n` of them.
 * `n` absent means all; a non-integer or negative `n` is 400
 * PAGINATION_NUMBER_INVALID. `n` is capped at `max` (the catalog's limit).
 */
export function paginate(sorted: readonly string[], query: URLSearchParams, base: string, max = Infinity): Page {
  const nRaw = query.get('n');
  const last = query.get('last');
  let n = Infinity;
  if (nRaw !== null && nRaw !== '') {
    if (!/^\d+$/.test(nRaw)) throw new RegistryError('PAGINATION_NUMBER_INVALID', { detail: { n: nRaw } });
    n = Math.min(Number(nRaw), max);
  } else if (max !== Infinity) {
    n = max;
  }
  const rest = last === null || last === '' ? sorted : sorted.filter((s) => s > last);
  const items = rest.slice(0, n);
  const lastItem = items[items.length - 1];
  if (rest.length > items.length && lastItem !== undefined) {
    const next = new URLSearchParams({ n: String(n), last: lastItem });
    return { items, link: `<${base}?${next.toString()}>; rel="next"` };
  }
  return { items };
}
