// `pier logs`: inspect for Config.Tty, then GET /logs, demuxed unless TTY.

import { FrameDemuxer } from '../../client/index.js';
import { type Handler } from '../context.js';
import { toApiTimestamp } from '../timestamps.js';

function write(stream: NodeJS.WriteStream, data: Buffer): Promise<void> | undefined {
  if (stream.write(data)) return undefined;
  return new Promise((r) => { stream.once('drain', () => r()); });
}

export const logsCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const client = ctx.client();
  const name = ctx.args[0] ?? '';
  const c = await client.containers.inspect(name);
  const since = f.string('since');
  const until = f.string('until');
  const res = await client.containers.logs(c.Id, {
    stdout: true, stderr: true, follow: f.bool('follow'), timestamps: f.bool('timestamps'), details: f.bool('details'),
    ...(since ? { since: toApiTimestamp(since) } : {}),
    ...(until ? { until: toApiTimestamp(until) } : {}),
    tail: f.string('tail') ?? 'all',
  });
  let pending: Promise<void> | undefined;
  const demux = new FrameDemuxer((stream, data) => {
    pending = write(stream === 2 || stream === 3 ? process.stderr : process.stdout, data) ?? pending;
  });
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    if (c.Config.Tty) pending = write(process.stdout, b);
    else demux.push(b);
    if (pending) { await pending; pending = undefined; }
  }
};
