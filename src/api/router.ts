import type { Handler } from './http.js';
import { InvalidParameterError } from '../errdefs/index.js';

interface Route { method: string; re: RegExp; keys: string[]; handler: Handler; hijack: boolean }

/**
 * A route table: `/containers/{id}/start` patterns; `{name:.*}` style greedy
 * params are written `{name*}` (image names contain slashes).
 */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { hijack?: boolean } = {}): this {
    const keys: string[] = [];
    const re = new RegExp('^' + pattern.replace(/\{(\w+)(\*?)\}/g, (_m, k: string, star: string) => {
      keys.push(k);
      return star ? '(.+?)' : '([^/]+)';
    }) + '/?$');
    this.#routes.push({ method, re, keys, handler, hijack: opts.hijack ?? false });
    return this;
  }

  get(p: string, h: Handler): this { return this.add('GET', p, h); }
  post(p: string, h: Handler, o?: { hijack?: boolean }): this { return this.add('POST', p, h, o); }
  put(p: string, h: Handler): this { return this.add('PUT', p, h); }
  head(p: string, h: Handler): this { return this.add('HEAD', p, h); }
  delete(p: string, h: Handler): this { return this.add('DELETE', p, h); }

  /** The matching route, or 'method' when the path exists with another method. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string>; hijack: boolean } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.#routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      const sameMethod = r.method === method || (method === 'HEAD' && r.method === 'GET' && !this.#hasHead(path));
      if (!sameMethod) { pathMatched = true; continue; }
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => { params[k] = decodeParam(m[i + 1] ?? ''); });
      return { handler: r.handler, params, hijack: r.hijack };
    }
    return pathMatched ? 'method' : undefined;
  }

  #hasHead(path: string): boolean {
    return this.#routes.some((r) => r.method === 'HEAD' && r.re.test(path));
  }
}

/** A path parameter, percent-decoded; a bad escape or bytes that are not UTF-8 are the client's error (400), as Go's url parsing refuses them. */
export function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidParameterError(`invalid URL escape or UTF-8 in the path: "${raw.slice(0, 200)}"`);
  }
}
