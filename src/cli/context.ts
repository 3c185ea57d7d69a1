// What a command handler receives, and the error type that carries an exit code.

import type { Client } from '../client/index.js';
import type { ParsedFlags } from './flags.js';

export interface CommandContext {
  /** How the user invoked it, e.g. `pier run` or `pier container run`. */
  readonly path: string;
  readonly args: readonly string[];
  readonly flags: ParsedFlags;
  readonly env: NodeJS.ProcessEnv;
  /** The Engine API client (created on first use). */
  client(): Client;
  /** The daemon address in use (for messages). */
  readonly host: string;
}

/** A command: resolves with the exit code (undefined = 0). */
export type Handler = (ctx: CommandContext) => Promise<number | undefined | void>;

/**
 * An error that ends the command with `code`; `message` (if any) goes to
 * stderr as is (docker's cli.StatusError).
 */
export class StatusError extends Error {
  readonly code: number;
  constructor(code: number, message = '') {
    super(message);
    this.name = 'StatusError';
    this.code = code;
  }
}

export function writeOut(s: string): void { process.stdout.write(s); }
export function writeErr(s: string): void { process.stderr.write(s); }
