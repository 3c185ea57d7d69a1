/**
 * WWW-Authenticate challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`
 * or `Basic realm="registry"`.
 */
export interface Challenge { scheme: string; params: Record<string, string> }

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    let rest = h.trim();
    while (rest) {
      const sm = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*/.exec(rest);
      if (!sm || !sm[1]) break;
      const c: Challenge = { scheme: sm[1].toLowerCase(), params: {} };
      rest = rest.slice(sm[0].length);
      for (;;) {
        const pm = /^([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(,\s*)?/.exec(rest);
        if (!pm || !pm[1]) break;
        // A token followed by "=" but after a comma may start the next challenge: "Basic realm=x, Bearer realm=y".
        c.params[pm[1].toLowerCase()] = pm[2] !== undefined ? pm[2].replace(/\\(.)/g, '$1') : (pm[3] ?? '');
        rest = rest.slice(pm[0].length);
        if (/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*\s+[A-Za-z]/.test(rest)) break;
      }
      out.push(c);
      rest = rest.replace(/^[\s,]+/, '');
    }
  }
  return out;
}
