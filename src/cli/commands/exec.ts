// `pier exec`: create the exec, start it hijacked (or detached), then read its
// exit code from GET /exec/{id}/json once the stream ends.

import * as fs from 'node:fs';
import { messageOf } from '../../errdefs/index.js';
import { type Handler, StatusError } from '../context.js';
import { pumpStreams } from '../hijack-io.js';
import { expandEnv, parseKvFile } from '../opts.js';
import { monitorTtySize, ttySize } from '../signals.js';
import { runExitCode } from './run.js';

export const execCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const client = ctx.client();
  const [container = '', ...cmd] = ctx.args;
  const tty = f.bool('tty');
  const interactive = f.bool('interactive');
  const detach = f.bool('detach');
  const env: string[] = [];
  try {
    for (const file of f.list('env-file')) env.push(...parseKvFile(fs.readFileSync(file, 'utf8'), (k) => ctx.env[k]));
    for (const e of f.list('env')) env.push(expandEnv(e, ctx.env));
  } catch (err) {
    throw new StatusError(125, `pier: ${messageOf(err)}\n\nRun 'pier exec --help' for more information`);
  }
  if (!detach && interactive && tty && !process.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
  await client.containers.inspect(container);
  const size = tty ? ttySize() : undefined;
  const id = await client.exec.create(container, {
    User: f.string('user') ?? '', Privileged: f.bool('privileged'), Tty: tty,
    ...(size && size[0] > 0 ? { ConsoleSize: size } : {}),
    AttachStdin: interactive && !detach, AttachStderr: !detach, AttachStdout: !detach, Detach: detach,
    DetachKeys: f.string('detach-keys') ?? '', Env: env.length > 0 ? env : null, WorkingDir: f.string('workdir') ?? '', Cmd: cmd,
  });
  if (detach) {
    await client.exec.startDetached(id, { tty });
    return 0;
  }
  let conn;
  try {
    conn = await client.exec.startAttached(id, size && size[0] > 0 ? { tty, consoleSize: size } : { tty });
  } catch (err) {
    // docker maps a failed exec start by its text, as for run
    const msg = messageOf(err);
    const code = runExitCode(msg);
    throw new StatusError(code === 125 ? 1 : code, msg);
  }
  const pump = pumpStreams({ conn, tty, stdin: interactive, stdout: true, stderr: true, detachKeys: f.string('detach-keys') ?? '' });
  let stopResize: (() => void) | undefined;
  try {
    if (tty && process.stdout.isTTY) stopResize = monitorTtySize((h, w) => client.exec.resize(id, h, w));
    if ((await pump.done) === 'detached') return 0;
  } finally {
    stopResize?.();
    pump.close();
  }
  const info = await client.exec.inspect(id);
  return info.ExitCode ?? 0;
};
