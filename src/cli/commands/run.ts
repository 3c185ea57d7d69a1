// `pier run` and `pier create`: flags → create (pulling on "No such image"),
// then for run: attach → wait → start → stream, exit with the container's status.

import * as fs from 'node:fs';
import type { Client } from '../../client/index.js';
import { isNotFound, messageOf } from '../../errdefs/index.js';
import { type ContainerSetup, buildContainerSetup } from '../container-config.js';
import { type CommandContext, type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { pumpStreams } from '../hijack-io.js';
import { parseImageRef } from '../image-ref.js';
import { discardTarget, displayProgress, stderrTarget } from '../progress.js';
import { forwardSignals, monitorTtySize, ttySize } from '../signals.js';

function withHelp(msg: string, cmd: string): string {
  return `pier: ${msg}\n\nRun 'pier ${cmd} --help' for more information`;
}

/** docker's toStatusError: 127 not found, 126 not executable, else 125. */
export function runExitCode(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) return 127;
  if (message.includes('permission denied') || message.includes('is a directory')) return 126;
  return 125;
}

function toStatusError(err: unknown): StatusError {
  const msg = messageOf(err);
  return new StatusError(runExitCode(msg), withHelp(msg, 'run'));
}

function setupFrom(ctx: CommandContext, cmd: string): ContainerSetup {
  try {
    return buildContainerSetup(ctx.flags, ctx.args, {
      env: ctx.env, readFile: (f) => fs.readFileSync(f, 'utf8'), ttySize: ttySize(), cwd: process.cwd(),
    });
  } catch (err) {
    throw new StatusError(125, withHelp(messageOf(err), cmd));
  }
}

async function pullImage(client: Client, image: string, setup: ContainerSetup): Promise<void> {
  const ref = parseImageRef(image);
  const res = await client.images.pull(ref?.repository ?? image, { tag: ref ? (ref.digest || ref.tag) : '', platform: setup.platform });
  await displayProgress(res.body, setup.quiet ? discardTarget() : stderrTarget());
}

/** Creates the container (pulling the image when it is missing and --pull allows); returns its ID. */
export async function createContainer(client: Client, setup: ContainerSetup): Promise<string> {
  const cidPath = setup.body.HostConfig.ContainerIDFile;
  let cidFd: number | undefined;
  if (cidPath !== '') {
    if (fs.existsSync(cidPath)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidPath}`);
    try { cidFd = fs.openSync(cidPath, 'wx'); } catch (err) { throw new Error(`failed to create the container ID file: ${messageOf(err)}`); }
  }
  let written = false;
  try {
    const image = setup.body.Image;
    const ref = parseImageRef(image);
    if (setup.pull === 'always') await pullImage(client, image, setup);
    const opts = { name: setup.name, platform: setup.platform };
    let res;
    try {
      res = await client.containers.create(setup.body, opts);
    } catch (err) {
      if (!isNotFound(err) || ref === undefined || setup.pull !== 'missing') throw err;
      if (!setup.quiet) writeErr(`Unable to find image '${ref.familiar}' locally\n`);
      await pullImage(client, image, setup);
      res = await client.containers.create(setup.body, opts);
    }
    for (const w of res.Warnings ?? []) writeErr(`WARNING: ${w}\n`);
    if (cidFd !== undefined) { fs.writeSync(cidFd, res.Id); written = true; }
    return res.Id;
  } finally {
    if (cidFd !== undefined) {
      fs.closeSync(cidFd);
      if (!written) fs.rmSync(cidPath, { force: true });
    }
  }
}

export const createCommand: Handler = async (ctx) => {
  const setup = setupFrom(ctx, 'create');
  const id = await createContainer(ctx.client(), setup);
  writeOut(`${id}\n`);
};

export const runCommand: Handler = async (ctx) => {
  const setup = setupFrom(ctx, 'run');
  const cfg = setup.body;
  const detach = ctx.flags.bool('detach');
  if (!detach) {
    if (cfg.AttachStdin && cfg.Tty && !process.stdin.isTTY) throw new Error('the input device is not a TTY');
  } else {
    if (ctx.flags.list('attach').length > 0) throw new Error('conflicting options: cannot specify both --attach and --detach');
    cfg.AttachStdin = false; cfg.AttachStdout = false; cfg.AttachStderr = false; cfg.StdinOnce = false;
  }
  const client = ctx.client();
  let id: string;
  try {
    id = await createContainer(client, setup);
  } catch (err) {
    throw toStatusError(err);
  }
  const cleanups: (() => void)[] = [];
  try {
    if (ctx.flags.bool('sig-proxy', true) && !cfg.Tty && !detach) cleanups.push(forwardSignals((s) => client.containers.kill(id, s)));
    const attached = cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr;
    const detachKeys = ctx.flags.string('detach-keys') ?? '';
    let pump;
    if (attached) {
      const conn = await client.containers.attach(id, {
        stream: true, stdin: cfg.AttachStdin, stdout: cfg.AttachStdout, stderr: cfg.AttachStderr, detachKeys,
      });
      pump = pumpStreams({ conn, tty: cfg.Tty, stdin: cfg.AttachStdin, stdout: cfg.AttachStdout, stderr: cfg.AttachStderr, detachKeys });
      cleanups.push(pump.close);
    }
    const waiter = await client.containers.wait(id, cfg.HostConfig.AutoRemove ? 'removed' : 'next-exit');
    // docker prints a detached container's ID before starting it (so also when start fails)
    if (!pump) writeOut(`${id}\n`);
    // settles with the exit status; reports wait failures only when someone awaits it
    const status = waiter.result.then((r): number | (() => number) => {
      if (r.Error) { const m = r.Error.Message; return () => { writeErr(`Error waiting for container: ${m}\n`); return 125; }; }
      return r.StatusCode;
    }, (err: unknown) => () => { writeErr(`error waiting for container: ${messageOf(err)}\n`); return 125; });
    const exitStatus = async (): Promise<number> => { const s = await status; return typeof s === 'number' ? s : s(); };
    try {
      await client.containers.start(id);
    } catch (err) {
      pump?.close();
      if (cfg.HostConfig.AutoRemove) await status;
      throw toStatusError(err);
    }
    if (!pump) return 0;
    if (cfg.Tty && process.stdout.isTTY) cleanups.push(monitorTtySize((h, w) => client.containers.resize(id, h, w)));
    const first = await Promise.race([pump.done, status.then(() => 'status' as const)]);
    if (first === 'detached') return 0;
    if (first === 'status' && !cfg.AttachStdout && !cfg.AttachStderr) pump.close();
    await pump.done;
    return await exitStatus();
  } finally {
    for (const c of cleanups.reverse()) c();
  }
};
