// End to end: dockerode (the npm Docker client) drives a private pierd over its unix socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { startDaemon, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { collect, e2eSkip } from '../../harness/clients.js';

const skip = e2eSkip('dockerode e2e');

let d: PrivateDaemon;
let docker: Docker;

before(async () => {
  if (skip) return;
  d = await startDaemon();
  docker = new Docker({ socketPath: d.socket });
});
after(async (t) => {
  if (!d) return;
  if (process.exitCode) t.diagnostic(d.logText().slice(-4000));
  await d.stop();
});

interface ModemError { statusCode?: number; json?: { message?: string } | null; message: string }
async function rejection(p: Promise<unknown>): Promise<ModemError> {
  try {
    await p;
  } catch (err) {
    return err as ModemError;
  }
  assert.fail('expected the call to fail');
}

/** Splits a multiplexed stream into its stdout and stderr text. */
async function demux(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const outText = collect(out);
  const errText = collect(err);
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
  });
  out.end();
  err.end();
  return { stdout: (await outText).toString(), stderr: (await errText).toString() };
}

/** One 8-byte multiplexed-stream header followed by its payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('ping, version and info describe the daemon', { skip }, async () => {
  const pong: unknown = await docker.ping();
  assert.equal(Buffer.isBuffer(pong) ? pong.toString() : pong, 'OK');
  const v = await docker.version();
  assert.equal(v.ApiVersion, '1.50');
  assert.equal(v.MinAPIVersion, '1.24');
  assert.equal(v.Os, 'linux');
  assert.equal(v.Arch, process.arch === 'x64' ? 'amd64' : process.arch);
  const info = await docker.info() as { OSType: string; Images: number; Containers: number; ContainersRunning: number; DockerRootDir: string; Driver: string; Name: string };
  assert.equal(info.OSType, 'linux');
  assert.ok(info.Images >= 1, 'busybox is there from the start');
  assert.equal(typeof info.Containers, 'number');
  assert.equal(info.DockerRootDir, `${d.root}/data`);
  assert.equal(info.Driver, 'overlay2');
});

test('create, attach, start and wait: demuxed stdout and stderr, exit status', { skip }, async () => {
  const c = await docker.createContainer({
    Image: 'busybox', name: 'dode-attach',
    Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    AttachStdout: true, AttachStderr: true,
  });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
  const text = demux(stream);
  await c.start();
  const waited = await c.wait() as { StatusCode: number };
  assert.equal(waited.StatusCode, 3);
  assert.deepEqual(await text, { stdout: 'out\n', stderr: 'err\n' });
  // logs: exactly the multiplexed frames, one stream at a time
  const outLog = await c.logs({ stdout: true, follow: false });
  assert.deepEqual(outLog, frame(1, 'out\n'));
  const errLog = await c.logs({ stderr: true, follow: false });
  assert.deepEqual(errLog, frame(2, 'err\n'));
  const ins = await c.inspect();
  assert.equal(ins.State.Status, 'exited');
  assert.equal(ins.State.ExitCode, 3);
  await c.remove();
});

test('a TTY container logs raw bytes with no frame headers', { skip }, async () => {
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-tty', Tty: true, Cmd: ['echo', 'hi'] });
  await c.start();
  assert.equal((await c.wait() as { StatusCode: number }).StatusCode, 0);
  const log = await c.logs({ stdout: true, stderr: true, follow: false });
  assert.equal(log.toString(), 'hi\r\n');
  await c.remove();
});

test('exec with a hijacked stream carries stdin in and stdout/stderr out', { skip }, async () => {
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-exec', Cmd: ['sleep', '300'] });
  await c.start();
  const ex = await c.exec({ Cmd: ['sh', '-c', 'cat; echo done >&2; exit 4'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: true });
  const text = demux(stream);
  stream.write('hello from stdin\n');
  (stream as NodeJS.ReadWriteStream).end();
  assert.deepEqual(await text, { stdout: 'hello from stdin\n', stderr: 'done\n' });
  const info = await poll(async () => {
    const i = await ex.inspect();
    return i.Running ? undefined : i;
  }, 5000, 'exec to finish');
  assert.equal(info.ExitCode, 4);
  // a plain exec with output only
  const ex2 = await c.exec({ Cmd: ['hostname'], AttachStdout: true, AttachStderr: true });
  const out2 = await demux(await ex2.start({ hijack: true, stdin: false }));
  assert.equal(out2.stdout, `${c.id.slice(0, 12)}\n`);
  await c.remove({ force: true });
});

test('listContainers filters by label and reports docker fields', { skip }, async () => {
  const a = await docker.createContainer({ Image: 'busybox', name: 'dode-la', Labels: { a: 'b', team: 'x' }, Cmd: ['sleep', '300'] });
  const b = await docker.createContainer({ Image: 'busybox', name: 'dode-lb', Labels: { a: 'c' }, Cmd: ['true'] });
  await a.start();
  const list = await docker.listContainers({ all: true, filters: { label: ['a=b'] } });
  assert.deepEqual(list.map((c) => c.Id), [a.id]);
  const row = list[0];
  assert.ok(row);
  assert.deepEqual(row.Names, ['/dode-la']);
  assert.equal(row.Image, 'busybox');
  assert.equal(row.Command, 'sleep 300');
  assert.equal(row.State, 'running');
  assert.match(row.Status, /^Up /);
  assert.deepEqual(row.Labels, { a: 'b', team: 'x' });
  const byKey = await docker.listContainers({ all: true, filters: { label: ['a'] } });
  assert.deepEqual(byKey.map((c) => c.Id).sort(), [a.id, b.id].sort());
  // without all: only running ones
  const running = await docker.listContainers({ filters: { label: ['a'] } });
  assert.deepEqual(running.map((c) => c.Id), [a.id]);
  const created = await docker.listContainers({ all: true, filters: { status: ['created'], label: ['a'] } });
  assert.deepEqual(created.map((c) => c.Id), [b.id]);
  await a.remove({ force: true });
  await b.remove();
});

test('inspect reports state, labels, memory limit and name', { skip }, async () => {
  const c = await docker.createContainer({
    Image: 'busybox', name: 'dode-insp', Labels: { role: 'web' }, Cmd: ['sleep', '300'],
    HostConfig: { Memory: 64 * 1024 * 1024 },
  });
  const before = await c.inspect();
  assert.equal(before.State.Running, false);
  assert.equal(before.State.Status, 'created');
  await c.start();
  const i = await c.inspect();
  assert.equal(i.Id, c.id);
  assert.equal(i.Name, '/dode-insp');
  assert.equal(i.State.Running, true);
  assert.equal(i.State.Status, 'running');
  assert.ok(i.State.Pid > 0);
  assert.deepEqual(i.Config.Labels, { role: 'web' });
  assert.deepEqual(i.Config.Cmd, ['sleep', '300']);
  assert.equal(i.Config.Image, 'busybox');
  assert.equal(i.HostConfig.Memory, 67108864);
  assert.match(i.Image, /^sha256:[0-9a-f]{64}$/);
  assert.equal(i.Config.Hostname, c.id.slice(0, 12));
  await c.remove({ force: true });
});

test('stop, kill and remove; errors carry docker status codes and messages', { skip }, async () => {
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-life', Cmd: ['sleep', '300'] });
  await c.start();
  const twice = await rejection(c.start());
  assert.equal(twice.statusCode, 304);
  await c.stop({ t: 1 });
  const stopped = await c.inspect();
  assert.equal(stopped.State.Running, false);
  assert.equal(stopped.State.ExitCode, 137); // sleep as pid 1 ignores SIGTERM: killed after the timeout
  const stopAgain = await rejection(c.stop());
  assert.equal(stopAgain.statusCode, 304);
  const killStopped = await rejection(c.kill());
  assert.equal(killStopped.statusCode, 409);
  assert.match(killStopped.json?.message ?? '', new RegExp(`Container ${c.id} is not running`));
  await c.start();
  await c.kill({ signal: 'SIGKILL' });
  await poll(async () => ((await c.inspect()).State.Running ? undefined : true), 5000, 'the kill');
  assert.equal((await c.inspect()).State.ExitCode, 137);

  const dup = await rejection(docker.createContainer({ Image: 'busybox', name: 'dode-life' }));
  assert.equal(dup.statusCode, 409);
  assert.equal(dup.json?.message, `Conflict. The container name "/dode-life" is already in use by container "${c.id}". You have to remove (or rename) that container to be able to reuse that name.`);

  await c.remove();
  const gone = await rejection(c.inspect());
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json?.message, `No such container: ${c.id}`);
  const unknown = await rejection(docker.getContainer('dode-nosuch').inspect());
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json?.message, 'No such container: dode-nosuch');
  const rmUnknown = await rejection(docker.getContainer('dode-nosuch').remove());
  assert.equal(rmUnknown.statusCode, 404);
  const noImage = await rejection(docker.createContainer({ Image: 'dode-nosuch:1' }));
  assert.equal(noImage.statusCode, 404);
  assert.equal(noImage.json?.message, 'No such image: dode-nosuch:1');
  const running = await docker.createContainer({ Image: 'busybox', name: 'dode-running', Cmd: ['sleep', '300'] });
  await running.start();
  const rmRunning = await rejection(running.remove());
  assert.equal(rmRunning.statusCode, 409);
  assert.equal(rmRunning.json?.message, 'cannot remove container "/dode-running": container is running: stop the container before removing or force remove');
  await running.remove({ force: true });
});

interface EventMsg { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; scope: string; time: number; timeNano: number }

test('getEvents with since and until replays the lifecycle and ends', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-ev', Cmd: ['true'], Labels: { ev: '1' } });
  await c.start();
  await c.wait();
  await c.remove();
  const until = Math.floor(Date.now() / 1000) + 1;
  const stream = await docker.getEvents({ since, until, filters: { container: ['dode-ev'] } });
  const lines = (await collect(stream)).toString().split('\n').filter(Boolean);
  const events = lines.map((l) => JSON.parse(l) as EventMsg);
  assert.deepEqual(events.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
  for (const e of events) {
    assert.equal(e.Type, 'container');
    assert.equal(e.scope, 'local');
    assert.equal(e.Actor.ID, c.id);
    assert.equal(e.Actor.Attributes['name'], 'dode-ev');
    assert.equal(e.Actor.Attributes['image'], 'busybox');
    assert.equal(e.Actor.Attributes['ev'], '1');
    assert.ok(e.time >= since && e.time <= until);
    assert.equal(Math.floor(e.timeNano / 1e9), e.time);
  }
  assert.equal(events[2]?.Actor.Attributes['exitCode'], '0');
});

test('listImages shows busybox:latest', { skip }, async () => {
  const images = await docker.listImages();
  const bb = images.find((i) => i.RepoTags?.includes('busybox:latest'));
  assert.ok(bb, JSON.stringify(images));
  assert.match(bb.Id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(bb.Size > 0);
  assert.equal(typeof bb.Created, 'number');
  const img = await docker.getImage('busybox').inspect();
  assert.equal(img.Id, bb.Id);
  assert.equal(img.Os, 'linux');
  const missing = await rejection(docker.getImage('dode-nosuch:1').inspect());
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json?.message, 'No such image: dode-nosuch:1');
});

test('stats, top, pause/unpause, rename and pruneContainers', { skip }, async () => {
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-misc', Cmd: ['sleep', '300'], Labels: { dode: 'misc' } });
  await c.start();
  const stats = await c.stats({ stream: false }) as { memory_stats: { usage?: number }; pids_stats: { current?: number }; name: string; id: string };
  assert.equal(stats.id, c.id);
  assert.equal(stats.name, '/dode-misc');
  assert.equal(stats.pids_stats.current, 1);
  assert.ok((stats.memory_stats.usage ?? 0) > 0);
  const top = await c.top() as { Titles: string[]; Processes: string[][] };
  assert.deepEqual(top.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.equal(top.Processes.length, 1);
  assert.equal(top.Processes[0]?.[7], 'sleep 300');
  await c.pause();
  assert.equal((await c.inspect()).State.Status, 'paused');
  const pauseTwice = await rejection(c.pause());
  assert.equal(pauseTwice.statusCode, 409);
  await c.unpause();
  assert.equal((await c.inspect()).State.Status, 'running');
  await c.rename({ name: 'dode-misc2' });
  assert.equal((await c.inspect()).Name, '/dode-misc2');
  await c.kill();
  await c.wait();
  const pruned = await docker.pruneContainers({ filters: { label: ['dode=misc'] } }) as { ContainersDeleted: string[] | null; SpaceReclaimed: number };
  assert.deepEqual(pruned.ContainersDeleted, [c.id]);
  assert.equal(typeof pruned.SpaceReclaimed, 'number');
  assert.equal((await rejection(c.inspect())).statusCode, 404);
});

test('update changes the memory limit of a running container', { skip }, async () => {
  const c = await docker.createContainer({ Image: 'busybox', name: 'dode-upd', Cmd: ['sleep', '300'], HostConfig: { Memory: 64 * 1024 * 1024 } });
  await c.start();
  try {
    const res = await c.update({ Memory: 128 * 1024 * 1024, MemorySwap: 256 * 1024 * 1024 }) as { Warnings: string[] | null };
    assert.ok(res.Warnings === null || Array.isArray(res.Warnings));
    const i = await c.inspect();
    assert.equal(i.HostConfig.Memory, 134217728);
    assert.equal(i.HostConfig.MemorySwap, 268435456);
  } finally {
    await c.remove({ force: true });
  }
});
