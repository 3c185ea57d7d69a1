// What every endpoint handler receives.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from './blob-store.js';
import type { ManifestStore } from './manifest-store.js';
import type { Route } from './route.js';
import type { StorageDriver } from './storage-driver.js';
import type { UploadStore } from './upload-store.js';

/** The registry's stores, built once per server over one StorageDriver. */
export interface RegistryStores {
  readonly driver: StorageDriver;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly stores: RegistryStores;
}

/** A handler for one route kind; `R` narrows the route to that kind. */
export type RouteHandler<R extends Route = Route> = (ctx: RequestContext, route: R) => Promise<void>;

/** The route of kind `K`. */
export type RouteOf<K extends Route['kind']> = Extract<Route, { kind: K }>;
