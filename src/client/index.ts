/**
 * client: a typed Docker Engine API (1.50) client over a unix socket or TCP.
 *
 * One `Client` per process: it negotiates the API version once (`HEAD /_ping`,
 * GET on failure, min(1.50, daemon's)), keeps connections alive, and maps
 * error responses to errdefs classes whose message is docker's
 * `Error response from daemon: <message>`. Attach and exec start hijack the
 * connection (101 Upgrade) and hand over the raw socket; `FrameDemuxer` splits
 * its multiplexed frames, `jsonLines` reads progress and event streams.
 *
 * @example
 * const c = new Client('unix:///run/pier/pier.sock');
 * const list = await c.containers.list({ all: true });
 */
export { Client, DEFAULT_HOST } from './client.js';
export { ContainersClient, decodePathStat } from './containers.js';
export type { AttachOptions, LogsOptions, WaitCondition } from './containers.js';
export { ExecClient } from './exec.js';
export { ImagesClient, EMPTY_AUTH } from './images.js';
export { NetworksClient } from './networks.js';
export type {
  NetworkContainer, NetworkCreateRequest, NetworkCreateResponse, NetworkInspect, NetworkIpam, NetworkIpamConfig, NetworkPruneReport, NetworkSummary,
} from './networks.js';
export { SystemClient } from './system.js';
export { VolumesClient } from './volumes.js';
export type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneReport, VolumeUsageData } from './volumes.js';
export { Transport, CLIENT_API_VERSION, parseHost, encodeQuery, readText } from './transport.js';
export type { Hijacked, PingResult, Query, RequestOptions, Response } from './transport.js';
export { FrameDemuxer, encodeFrame, jsonLines, jsonLinesRaw, MULTIPLEXED, RAW_STREAM } from './stream.js';
export type { StreamId } from './stream.js';
export { DaemonResponse, connectError, responseError } from './errors.js';
export type * from './types.js';
