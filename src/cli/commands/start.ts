// `pier start`: without -a/-i starts each container and echoes it; with them,
// attaches, waits, starts and exits with the container's status (docker's RunStart).

import { messageOf } from '../../errdefs/index.js';
import { type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { pumpStreams } from '../hijack-io.js';
import { forwardSignals, monitorTtySize } from '../signals.js';

export const startCommand: Handler = async (ctx) => {
  const client = ctx.client();
  const attach = ctx.flags.bool('attach');
  const interactive = ctx.flags.bool('interactive');
  if (!attach && !interactive) {
    const failed: string[] = [];
    for (const c of ctx.args) {
      try {
        await client.containers.start(c);
        writeOut(`${c}\n`);
      } catch (err) {
        writeErr(`${messageOf(err)}\n`);
        failed.push(c);
      }
    }
    if (failed.length > 0) throw new StatusError(1, `Error: failed to start containers: ${failed.join(', ')}`);
    return 0;
  }
  if (ctx.args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
  const c = await client.containers.inspect(ctx.args[0] ?? '');
  const cleanups: (() => void)[] = [];
  try {
    if (!c.Config.Tty) cleanups.push(forwardSignals((s) => client.containers.kill(c.Id, s)));
    const detachKeys = ctx.flags.string('detach-keys') ?? '';
    const stdin = interactive && c.Config.OpenStdin;
    if (stdin && c.Config.Tty && !process.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const conn = await client.containers.attach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys });
    const pump = pumpStreams({ conn, tty: c.Config.Tty, stdin, stdout: true, stderr: true, detachKeys });
    cleanups.push(pump.close);
    const waiter = await client.containers.wait(c.Id, c.HostConfig.AutoRemove ? 'removed' : 'next-exit');
    const status = waiter.result.then((r) => r, () => undefined);
    try {
      await client.containers.start(c.Id);
    } catch (err) {
      pump.close();
      if (c.HostConfig.AutoRemove) await status;
      throw err;
    }
    if (c.Config.Tty && process.stdout.isTTY) cleanups.push(monitorTtySize((h, w) => client.containers.resize(c.Id, h, w)));
    if ((await pump.done) === 'detached') return 0;
    const r = await status;
    if (r === undefined) return 125;
    if (r.Error) { writeErr(`Error waiting for container: ${r.Error.Message}\n`); return 125; }
    return r.StatusCode;
  } finally {
    for (const f of cleanups.reverse()) f();
  }
};
