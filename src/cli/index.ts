/**
 * cli: the `pier` command line, a docker CLI 28 work-alike that reaches the
 * daemon only through `client/`.
 *
 * `main(argv)` parses global flags, finds the command in the table
 * (`commands.ts`), parses its flags pflag-style (`flags.ts`), lazily loads its
 * handler from `commands/`, and resolves with the exit code (docker's: 125 for
 * usage and run/create failures, 126/127 for start errors, the container's own
 * status for run/start -a/exec).
 *
 * @example
 * process.exitCode = await main(['ps', '-a']);
 */
export { main, resolveHost, versionLine, PIER_VERSION } from './main.js';
export { parseFlags, ParsedFlags, FlagError } from './flags.js';
export type { FlagSpec, FlagType } from './flags.js';
export { commands, lookup } from './commands.js';
export type { CommandSpec } from './commands.js';
export { StatusError } from './context.js';
export type { CommandContext, Handler } from './context.js';
