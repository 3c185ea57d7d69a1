/**
 * images: the image store — image records (ID = digest of the config JSON),
 * references (`docker.io/library/busybox:latest` → ID), layers unpacked once
 * into snapshots keyed by chain ID and shared by every image and container.
 *
 * Lifecycle: import/pull writes blobs to `content`, unpacks layers into
 * committed snapshots, records the image, then tags it. `remove` untags, and
 * deletes the image once no tag and no container refers to it, releasing the
 * snapshots and blobs nothing else uses.
 *
 * @example
 * const img = images.resolve('busybox');            // NotFoundError `No such image: busybox:latest`
 * const { id } = await images.importRootfs(body, { repo: 'my/app', tag: '1' });
 */
export { ImageService, chainIds } from './image-service.js';
export type { ImageRecord, ImageConfigFile, ImageServiceOptions, DeleteResponseItem } from './image-service.js';
export type { ProgressSink } from './progress.js';
export { parsePlatform, parsePlatformParam, platformMatches, platformMismatch, platformText } from './platform.js';
export type { Platform } from './platform.js';
