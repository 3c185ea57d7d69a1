// The Engine API client: one Transport shared by the per-resource clients.

import type { ClientTls } from './transport.js';
import { ContainersClient } from './containers.js';
import { ExecClient } from './exec.js';
import { ImagesClient } from './images.js';
import { NetworksClient } from './networks.js';
import { SystemClient } from './system.js';
import { Transport } from './transport.js';
import { VolumesClient } from './volumes.js';

/** The socket pier talks to when nothing else is configured. */
export const DEFAULT_HOST = 'unix:///run/pier/pier.sock';

export class Client {
  readonly transport: Transport;
  readonly containers: ContainersClient;
  readonly exec: ExecClient;
  readonly images: ImagesClient;
  readonly networks: NetworksClient;
  readonly system: SystemClient;
  readonly volumes: VolumesClient;

  constructor(host: string = DEFAULT_HOST, opts: { version?: string; tls?: ClientTls } = {}) {
    this.transport = new Transport(host, opts);
    this.containers = new ContainersClient(this.transport);
    this.exec = new ExecClient(this.transport);
    this.images = new ImagesClient(this.transport);
    this.networks = new NetworksClient(this.transport);
    this.system = new SystemClient(this.transport);
    this.volumes = new VolumesClient(this.transport);
  }

  get host(): string { return this.transport.host; }

  /** Releases idle connections (the process can exit without it; keep-alive sockets are unref'd). */
  close(): void { this.transport.close(); }
}
