/**
 * gotemplate: Go's text/template as the docker CLI uses it for `--format`,
 * over JSON-shaped data, plus Go's tabwriter alignment for `table` output.
 *
 * A template is parsed once (syntax errors throw InvalidParameterError
 * `template parsing error: template: :1: …`, the docker CLI's text) and then
 * executed against any value. Go's semantics are kept where users see them:
 * a missing key prints `<no value>`, `null` prints `<nil>`, objects print as
 * `map[k:v]` with sorted keys, `range` walks objects in key order, empty
 * values are false. Functions are Go's builtins plus docker's (json, join,
 * split, title, lower, upper, pad, truncate). A JS function found as a field
 * is called like a Go method (`{{.Label "k"}}`).
 *
 * The `table` prefix and the `\t` escapes of a `--format` string are the
 * CLI's business; `formatTable` aligns the rendered cells.
 *
 * @example
 * const t = parseTemplate('{{.Name}} {{join .Args ","}}');
 * t.execute({ Name: 'web', Args: ['a', 'b'] }); // "web a,b"
 * formatTable([['CONTAINER ID', 'IMAGE'], ['0123456789ab', 'busybox']]);
 */
export { parseTemplate, renderTemplate, type Template, type ParseOptions, type FuncMap } from './template.js';
export { builtinFuncs, dockerFuncs, headerFuncs, goJson, truth, type TemplateFunc } from './funcs.js';
export { formatValue, formatNumber, goQuote } from './format.js';
export { sprintf, sprint, sprintln } from './printf.js';
export { formatTable, tabwrite, DOCKER_TABWRITER, type TabWriterOptions } from './tabwriter.js';
