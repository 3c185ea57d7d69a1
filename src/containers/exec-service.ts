import { writeFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ConflictError, NotFoundError, InvalidParameterError } from '../errdefs/index.js';
import { newId } from '../pkg/ids/index.js';
import { monotonicMs } from '../pkg/clock/index.js';
import type { ExecHandle } from '../runtime/index.js';
import { buildExecProcess } from './oci-spec.js';
import type { ContainerService } from './container-service.js';

export interface ExecConfig {
  Cmd: string[];
  Env: string[] | null;
  User: string;
  WorkingDir: string;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Privileged: boolean;
  DetachKeys: string;
  ConsoleSize: [number, number] | null;
}

/** An exec session, as `GET /exec/{id}/json` shows it. Kept in memory, as docker does. */
export interface ExecRecord {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
  config: ExecConfig;
}

/** The streams of a started, attached exec. */
export interface ExecStreams {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  exited: Promise<number>;
}

/** Exec sessions: `docker exec` runs a process in a running container via the runtime. */
export class ExecService {
  readonly #containers: ContainerService;
  readonly #execs = new Map<string, ExecRecord>();
  readonly #handles = new Map<string, ExecHandle>();
  readonly #dirs = new Map<string, string>();

  constructor(containers: ContainerService) {
    this.#containers = containers;
  }

  create(ref: string, cfg: ExecConfig): string {
    const { c } = this.#containers.runningTask(ref);
    if (c.State.Paused) throw new ConflictError(`Container ${c.Id} is paused, unpause the container before exec`);
    if (c.State.Restarting) throw new ConflictError(`Container ${c.Id} is restarting, wait until the container is running`);
    if (!cfg.Cmd || cfg.Cmd.length === 0) throw new InvalidParameterError('No exec command specified');
    const id = newId();
    const rec: ExecRecord = {
      ID: id, Running: false, ExitCode: null,
      ProcessConfig: { tty: cfg.Tty, entrypoint: cfg.Cmd[0] ?? '', arguments: cfg.Cmd.slice(1), privileged: cfg.Privileged, user: cfg.User },
      OpenStdin: cfg.AttachStdin, OpenStderr: cfg.AttachStderr, OpenStdout: cfg.AttachStdout, CanRemove: false,
      ContainerID: c.Id, DetachKeys: cfg.DetachKeys, Pid: 0, config: cfg,
    };
    this.#execs.set(id, rec);
    c.ExecIDs = [...(c.ExecIDs ?? []), id];
    this.#containers.saveRecord(c);
    this.#containers.publish(c, `exec_create: ${cfg.Cmd.join(' ')}`, { execID: id });
    return id;
  }

  get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** Starts the exec; for a detached one resolves once it runs, else returns its streams. */
  async start(id: string, o: { detach: boolean; tty?: boolean }): Promise<ExecStreams> {
    const e = this.get(id);
    if (e.Running || e.ExitCode !== null) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const t0 = monotonicMs();
    const marks: Record<string, number> = {};
    const mark = (k: string): void => { marks[k] = +(monotonicMs() - t0).toFixed(1); };
    const { c } = this.#containers.runningTask(e.ContainerID);
    const image = this.#containers.options.images.get(c.Image);
    const input = await this.#containers.specInput(c, image);
    const tty = e.config.Tty && !o.detach;
    const proc = buildExecProcess({ config: { ...e.config, Tty: tty }, container: input });
    mark('spec');
    const dir = join(this.#containers.bundleDir(c.Id), `exec-${id.slice(0, 12)}`);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'process.json');
    await writeFile(file, JSON.stringify(proc));
    e.Running = true;
    let h: ExecHandle;
    try {
      h = tty
        ? await this.#containers.runtimeOf(c).execTerminal(c.Id, { dir, processFile: file, execId: id, stdin: e.config.AttachStdin })
        : await this.#containers.runtimeOf(c).exec(c.Id, { processFile: file, terminal: false, detach: o.detach });
    } catch (err) {
      e.Running = false;
      e.ExitCode = /not found|no such file/.test(String(err)) ? 127 : 126;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.#dirs.set(id, dir);
    mark('spawned');
    this.#handles.set(id, h);
    e.Pid = h.pid;
    this.#containers.publish(c, `exec_start: ${e.config.Cmd.join(' ')}`, { execID: id });
    const exited = h.exited.then(async (code) => {
      mark('exited');
      if (this.#containers.log.enabled('debug')) this.#containers.log.debug('exec finished', { exec: id, ms: marks });
      e.Running = false;
      e.ExitCode = o.detach ? 0 : code;
      return code;
    }, async (err: unknown) => {
      e.Running = false;
      e.ExitCode = /executable file not found|no such file or directory/.test(String(err)) ? 127 : 126;
      throw err;
    }).finally(async () => {
      this.#handles.delete(id);
      this.#dirs.delete(id);
      await rm(dir, { recursive: true, force: true });
      const fresh = this.#containers.tryGet(c.Id);
      if (fresh) {
        fresh.ExecIDs = (fresh.ExecIDs ?? []).filter((x) => x !== id);
        if (fresh.ExecIDs.length === 0) fresh.ExecIDs = null;
        this.#containers.saveRecord(fresh);
        this.#containers.publish(fresh, 'exec_die', { execID: id, exitCode: String(e.ExitCode ?? -1) });
      }
    });
    if (o.detach) {
      await exited;
      return { stdin: null, stdout: null, stderr: null, exited };
    }
    if (!e.config.AttachStdin) h.stdin?.end();
    return { stdin: e.config.AttachStdin ? h.stdin : null, stdout: h.stdout, stderr: h.stderr, exited };
  }

  /** Resizes a TTY exec's terminal (conmon's control FIFO). */
  resize(id: string, h: number, w: number): void {
    const e = this.get(id);
    const dir = this.#dirs.get(id);
    if (!e.Running || !dir || !e.config.Tty) return;
    const c = this.#containers.tryGet(e.ContainerID);
    if (c) this.#containers.runtimeOf(c).resize(dir, h, w);
  }

  /** Signals a running exec (a health probe past its timeout). */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#handles.get(id)?.kill(signal);
  }

  /** Forgets finished sessions of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.#execs) if (e.ContainerID === containerId && !e.Running) this.#execs.delete(id);
  }
}
