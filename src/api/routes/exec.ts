import { InvalidParameterError, messageOf } from '../../errdefs/index.js';
import type { ExecConfig } from '../../containers/index.js';
import { parseJsonText, readJson, type Ctx } from '../http.js';
import { attachContentType, frameHeader, readUpgradeBody, upgradeResponse } from '../hijack.js';
import { Fields } from '../decode.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';
import type { Readable, Writable } from 'node:stream';

function decodeExecConfig(body: unknown): ExecConfig {
  const f = new Fields(body, 'container.ExecOptions');
  const cs = f.array('ConsoleSize', '*[2]uint');
  return {
    Cmd: f.strSlice('Cmd') ?? [], Env: f.strs('Env'), User: f.str('User'), WorkingDir: f.str('WorkingDir'), Tty: f.bool('Tty'),
    AttachStdin: f.bool('AttachStdin'), AttachStdout: f.bool('AttachStdout'), AttachStderr: f.bool('AttachStderr'),
    Privileged: f.bool('Privileged'), DetachKeys: f.str('DetachKeys'),
    ConsoleSize: cs ? [Number(cs[0] ?? 0), Number(cs[1] ?? 0)] : null,
  };
}

function pipeFramed(src: Readable | null, out: Writable, stream: 1 | 2, tty: boolean): Promise<void> {
  if (!src) return Promise.resolve();
  return new Promise((resolve) => {
    // Backpressure: a client that reads slowly pauses the process's output instead of
    // growing pierd's buffers (one noisy exec cannot exhaust the daemon's memory).
    src.on('data', (d: Buffer) => {
      const ok = out.write(tty ? d : Buffer.concat([frameHeader(stream, d.length), d]));
      if (!ok && !src.isPaused() && !out.destroyed) {
        src.pause();
        out.once('drain', () => src.resume());
      }
    });
    out.once('close', () => src.resume());
    src.on('end', resolve);
    src.on('error', () => resolve());
  });
}

async function execStart(ctx: Ctx, b: Backend): Promise<undefined> {
  const id = ctx.params['id'] ?? '';
  let bodyBuf: Buffer;
  let early: Buffer = Buffer.alloc(0);
  if (ctx.socket) {
    const r = await readUpgradeBody(ctx.req, ctx.socket, ctx.head ?? Buffer.alloc(0));
    bodyBuf = r.body;
    early = r.rest;
  } else {
    const v = await readJson(ctx.req);
    bodyBuf = Buffer.from(JSON.stringify(v ?? {}));
  }
  const text = bodyBuf.toString('utf8').trim();
  const body: unknown = text ? parseJsonText(text) : {};
  const f = new Fields(body, 'container.ExecStartOptions');
  const detach = f.bool('Detach');
  const e = b.execs.get(id);
  const tty = e.config.Tty;
  if (detach) {
    await b.execs.start(id, { detach: true });
    if (ctx.socket) {
      ctx.socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n');
      return undefined;
    }
    return undefined;
  }
  const streams = await b.execs.start(id, { detach: false });
  let out: Writable;
  let input: Readable | undefined;
  const ctype = attachContentType(tty, ctx.version);
  if (ctx.socket) {
    ctx.socket.write(upgradeResponse(ctype));
    out = ctx.socket;
    input = ctx.socket;
  } else {
    const res = ctx.res;
    if (!res) return undefined;
    res.writeHead(200, { 'Content-Type': ctype });
    out = res;
    input = undefined;
  }
  const stdin = streams.stdin;
  if (stdin) {
    stdin.on('error', () => { /* process gone */ });
    if (early.length) stdin.write(early);
    input?.on('data', (d: Buffer) => {
      if (!stdin.write(d) && input && !input.isPaused()) { input.pause(); stdin.once('drain', () => input?.resume()); }
    });
    input?.on('end', () => { stdin.end(); });
  }
  // readUpgradeBody pauses the socket when the body came after the head: a 'data' listener does
  // not undo an explicit pause, so without this the client's stdin (and its EOF) was never read
  // and `echo x | docker exec -i c cat` hung about one time in five.
  input?.resume();
  out.on('close', () => { if (b.execs.get(id).Running) { /* client left: let the process run, as docker does */ } });
  let failure = '';
  await Promise.all([
    pipeFramed(streams.stdout, out, 1, tty), pipeFramed(streams.stderr, out, 2, tty),
    streams.exited.catch((err: unknown) => { failure = messageOf(err); }),
  ]);
  // As dockerd: a process that could not start leaves its reason on the stream, exit code 126/127 on inspect.
  if (failure) {
    const text = Buffer.from(`${failure}\r\n`);
    out.write(tty ? text : Buffer.concat([frameHeader(1, text.length), text]));
  }
  out.end();
  return undefined;
}

export function execRoutes(r: Router, b: Backend): void {
  r.post('/containers/{id}/exec', async (ctx) => {
    const cfg = decodeExecConfig(await readJson(ctx.req));
    const id = b.execs.create(ctx.params['id'] ?? '', cfg);
    return { status: 201, json: { Id: id } };
  });
  r.post('/exec/{id}/start', (ctx) => execStart(ctx, b), { hijack: true });
  r.post('/exec/{id}/resize', (ctx) => {
    b.execs.resize(ctx.params['id'] ?? '', Number(ctx.query.get('h') ?? 0), Number(ctx.query.get('w') ?? 0));
    return { status: 200, text: '' };
  });
  r.get('/exec/{id}/json', (ctx) => {
    const { config: _c, ...view } = b.execs.get(ctx.params['id'] ?? '');
    return { json: view };
  });
}
