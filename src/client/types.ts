// Response shapes the client reads (Engine API 1.50) that src/pkg/engine does
// not already define. Only the fields pier's CLI uses are typed; the rest stay
// available as unknown through index signatures where the CLI prints whole objects.

import type {
  ContainerConfig, ContainerState, HostConfig, MountPoint, PortBinding, EndpointSettings,
} from '../pkg/engine/index.js';

export interface CreateResponse { Id: string; Warnings: string[] | null }

export interface WaitResponse { StatusCode: number; Error?: { Message: string } | null }

export interface PortSummary { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> | null } | null;
  Mounts?: MountPoint[] | null;
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  Name: string;
  RestartCount: number;
  HostConfig: HostConfig;
  Config: ContainerConfig;
  Mounts: MountPoint[];
  NetworkSettings: { Ports?: Record<string, PortBinding[] | null> | null; Networks?: Record<string, EndpointSettings> | null; [k: string]: unknown };
  [k: string]: unknown;
}

export interface TopResponse { Titles: string[]; Processes: string[][] }

/** Kind: 0 modified, 1 added, 2 deleted. */
export interface ChangeItem { Path: string; Kind: 0 | 1 | 2 }

export interface ContainerUpdateResponse { Warnings: string[] | null }

export interface ContainerPruneReport { ContainersDeleted: string[] | null; SpaceReclaimed: number }

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export interface ImageInspect { Id: string; RepoTags: string[]; RepoDigests: string[]; Created: string; Size: number; [k: string]: unknown }

/** One entry of GET /images/{name}/history, newest first; Id is "<missing>" for layers not kept as images. */
export interface ImageHistoryItem { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }

export interface ImageDeleteItem { Untagged?: string; Deleted?: string }

/** One line of a pull/push/import/load progress stream. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

export interface ExecCreateOptions {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd: string[];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ContainerID: string;
  Pid: number;
  ProcessConfig?: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
}

/** One `/events` message (lower-case legacy fields plus Type/Action/Actor). */
export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  scope?: string;
  time: number;
  timeNano: number;
}

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] | null; usage_in_kernelmode?: number; usage_in_usermode?: number };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsResponse {
  id?: string;
  name?: string;
  read: string;
  preread: string;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; max_usage?: number; stats?: Record<string, number> | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }> | null;
  blkio_stats?: { io_service_bytes_recursive?: { major: number; minor: number; op: string; value: number }[] | null } | null;
  pids_stats?: { current?: number; limit?: number } | null;
}

export interface VersionComponent { Name: string; Version: string; Details?: Record<string, string> | null }

export interface VersionResponse {
  Platform?: { Name: string };
  Components?: VersionComponent[] | null;
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** GET /info: typed loosely, the CLI prints what it finds. */
export type InfoResponse = Record<string, unknown>;

export interface VolumeSummary { Name: string; Driver: string; Mountpoint: string; Labels?: Record<string, string> | null; UsageData?: { Size: number; RefCount: number } | null; [k: string]: unknown }

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: VolumeSummary[] | null;
  BuildCache: { Size: number; InUse: boolean; Shared: boolean }[] | null;
}

/** `X-Docker-Container-Path-Stat`: `mode` is a Go os.FileMode. */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }
