/**
 * dockerignore: which files of a build context are sent, with docker's .dockerignore semantics
 * (moby `ignorefile.ReadAll` + `patternmatcher`).
 *
 * Lifecycle: read the file's text → `parseDockerignore` → `new PatternMatcher(patterns)` →
 * `walkContext(root, matcher)`. Patterns are Go `filepath.Match` globs plus `**`; each path is
 * relative to the context root, slash-separated; the last matching pattern wins, `!` re-includes,
 * and a pattern that matches a directory excludes everything under it.
 *
 * @example
 * const matcher = new PatternMatcher(parseDockerignore(await readFile(join(root, '.dockerignore'), 'utf8')));
 * matcher.matches('node_modules/x/index.js');   // true with a `node_modules` line
 * for await (const e of walkContext(root, matcher)) tar.add(e.rel, e.stat);
 */
export {
  parseDockerignore, PatternMatcher, walkContext, cleanPath, type Pattern, type ContextEntry,
} from './dockerignore.js';
