import type { ContainerService, ExecService } from '../containers/index.js';
import type { ImageService } from '../images/index.js';
import type { BuildService } from '../build/index.js';
import type { NetworkService } from '../networks/index.js';
import type { VolumeService } from '../volumes/index.js';

/** The builder as the routes use it (loaded on first use: most daemons never build). */
export type BuildBackend = Pick<BuildService, 'build' | 'prune' | 'hasContext'>;
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';

/** Daemon-wide facts the system routes serve (built by daemon/). */
export interface SystemProvider {
  version(): Record<string, unknown>;
  info(): Record<string, unknown>;
}

/** The services the API routes call; each route file takes what it needs. */
export interface Backend {
  containers: ContainerService;
  execs: ExecService;
  images: ImageService;
  builds: BuildBackend;
  networks: Pick<NetworkService, 'list' | 'get' | 'tryGet' | 'create' | 'remove' | 'endpointsOn' | 'endpointsOf' | 'portsOf' | 'isPredefined'>;
  volumes: Pick<VolumeService, 'list' | 'listWithPlugins' | 'get' | 'create' | 'remove' | 'prune' | 'size' | 'isAnonymous'>;
  events: EventBus;
  /** The legacy plugins found now, each probed once (`implements` undefined: not answering). */
  plugins: { discover(): Promise<{ name: string; where: string; implements: string[] | undefined }[]> };
  system: SystemProvider;
  log: Logger;
}
