import type { ContainerConfig, ContainerState, HostConfig, MountPoint, NetworkingConfig } from '../pkg/engine/index.js';
import { ZERO_TIME } from '../pkg/engine/index.js';
import type { TaskInfo } from '../runtime/index.js';
import type { ContainerVolume } from './container-volumes.js';

/**
 * The durable record of a container (what `store` keeps). The running process
 * is the *task*, owned by `runtime`; `task` here only remembers how to find it
 * again after a daemon restart.
 */
export interface ContainerRecord {
  Id: string;
  /** With the leading '/', as docker stores it. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  NetworkingConfig: NetworkingConfig;
  /** Image ID (sha256:…). */
  Image: string;
  State: ContainerState;
  RestartCount: number;
  ExecIDs: string[] | null;
  Platform: 'linux';
  Driver: string;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  Mounts: MountPoint[];
  /** pier internals, not part of the API. */
  pier: {
    snapshotKey: string;
    task?: TaskInfo;
    /** Set by stop/kill from the user: suppresses restart policies. */
    manuallyStopped: boolean;
    hasBeenStarted: boolean;
    /** Seconds the last run lasted, for the restart backoff reset. */
    runtime: string;
    /** Named and anonymous volumes, resolved at create. */
    volumes?: ContainerVolume[];
    /** Bind mounts taken over by --volumes-from. */
    extraBinds?: string[];
    /** A build step's container: its build ends with the daemon, so start-up removes it. */
    buildStep?: true;
  };
}

export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}

/** docker's human "Up 5 seconds" / "Exited (0) 3 minutes ago" status string. */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.State;
  if (s.Status === 'running' || s.Status === 'paused') {
    const base = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    let h = '';
    if (s.Health && s.Health.Status !== 'none') h = s.Health.Status === 'starting' ? ' (health: starting)' : ` (${s.Health.Status})`;
    return s.Status === 'paused' ? `${base} (Paused)` : base + h;
  }
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'exited') {
    if (s.FinishedAt === ZERO_TIME) return `Exited (${s.ExitCode})`;
    return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  }
  return 'Created';
}

/** Go's units.HumanDuration, as docker prints it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}
