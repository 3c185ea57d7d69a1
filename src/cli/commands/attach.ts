// `pier attach`: hijack the container's stdio; exit with its status.

import { type Handler, StatusError } from '../context.js';
import { pumpStreams } from '../hijack-io.js';
import { forwardSignals, monitorTtySize } from '../signals.js';

export const attachCommand: Handler = async (ctx) => {
  const client = ctx.client();
  const c = await client.containers.inspect(ctx.args[0] ?? '');
  if (!c.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
  const stdin = !ctx.flags.bool('no-stdin') && c.Config.OpenStdin;
  if (stdin && c.Config.Tty && !process.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
  const detachKeys = ctx.flags.string('detach-keys') ?? '';
  const cleanups: (() => void)[] = [];
  try {
    if (ctx.flags.bool('sig-proxy', true) && !c.Config.Tty) cleanups.push(forwardSignals((s) => client.containers.kill(c.Id, s)));
    const conn = await client.containers.attach(c.Id, { stream: true, stdin, stdout: true, stderr: true, detachKeys });
    const waiter = await client.containers.wait(c.Id);
    const pump = pumpStreams({ conn, tty: c.Config.Tty, stdin, stdout: true, stderr: true, detachKeys });
    cleanups.push(pump.close);
    if (c.Config.Tty && process.stdout.isTTY) cleanups.push(monitorTtySize((h, w) => client.containers.resize(c.Id, h, w)));
    if ((await pump.done) === 'detached') return 0;
    const r = await waiter.result;
    if (r.Error) throw new StatusError(125, r.Error.Message);
    return r.StatusCode;
  } finally {
    for (const f of cleanups.reverse()) f();
  }
};
