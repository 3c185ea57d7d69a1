/**
 * The Engine API as the fuzzer sees it: every path and method of
 * engine-api.yaml (v1.50), with valid parameter values and a valid body to
 * mutate from. `SPEC_ROUTES` is the spec's list; `ENDPOINTS` must cover it.
 */
import type { Rng } from './rng.js';

/** Every operation of engine-api.yaml v1.50 (method + path), in the spec's order. */
export const SPEC_ROUTES: readonly string[] = (
  'GET /containers/json;POST /containers/create;GET /containers/{id}/json;GET /containers/{id}/top;GET /containers/{id}/logs;' +
  'GET /containers/{id}/changes;GET /containers/{id}/export;GET /containers/{id}/stats;POST /containers/{id}/resize;' +
  'POST /containers/{id}/start;POST /containers/{id}/stop;POST /containers/{id}/restart;POST /containers/{id}/kill;' +
  'POST /containers/{id}/update;POST /containers/{id}/rename;POST /containers/{id}/pause;POST /containers/{id}/unpause;' +
  'POST /containers/{id}/attach;GET /containers/{id}/attach/ws;POST /containers/{id}/wait;DELETE /containers/{id};' +
  'HEAD /containers/{id}/archive;GET /containers/{id}/archive;PUT /containers/{id}/archive;POST /containers/prune;' +
  'GET /images/json;POST /build;POST /build/prune;POST /images/create;GET /images/{name}/json;GET /images/{name}/history;' +
  'POST /images/{name}/push;POST /images/{name}/tag;DELETE /images/{name};GET /images/search;POST /images/prune;POST /auth;' +
  'GET /info;GET /version;GET /_ping;HEAD /_ping;POST /commit;GET /events;GET /system/df;GET /images/{name}/get;GET /images/get;' +
  'POST /images/load;POST /containers/{id}/exec;POST /exec/{id}/start;POST /exec/{id}/resize;GET /exec/{id}/json;GET /volumes;' +
  'POST /volumes/create;GET /volumes/{name};PUT /volumes/{name};DELETE /volumes/{name};POST /volumes/prune;GET /networks;' +
  'GET /networks/{id};DELETE /networks/{id};POST /networks/create;POST /networks/{id}/connect;POST /networks/{id}/disconnect;' +
  'POST /networks/prune;GET /plugins;GET /plugins/privileges;POST /plugins/pull;GET /plugins/{name}/json;DELETE /plugins/{name};' +
  'POST /plugins/{name}/enable;POST /plugins/{name}/disable;POST /plugins/{name}/upgrade;POST /plugins/create;' +
  'POST /plugins/{name}/push;POST /plugins/{name}/set;GET /nodes;GET /nodes/{id};DELETE /nodes/{id};POST /nodes/{id}/update;' +
  'GET /swarm;POST /swarm/init;POST /swarm/join;POST /swarm/leave;POST /swarm/update;GET /swarm/unlockkey;POST /swarm/unlock;' +
  'GET /services;POST /services/create;GET /services/{id};DELETE /services/{id};POST /services/{id}/update;' +
  'GET /services/{id}/logs;GET /tasks;GET /tasks/{id};GET /tasks/{id}/logs;GET /secrets;POST /secrets/create;GET /secrets/{id};' +
  'DELETE /secrets/{id};POST /secrets/{id}/update;GET /configs;POST /configs/create;GET /configs/{id};DELETE /configs/{id};' +
  'POST /configs/{id}/update;GET /distribution/{name}/json;POST /session'
).split(';');

/** Names of the objects the fuzzer keeps alive so that requests reach past "no such …". */
export interface Fixtures {
  /** running `sleep` container */
  container: string;
  /** created, never started */
  created: string;
  execId: string;
  volume: string;
  network: string;
  /** a tag of busybox that requests may remove */
  image: string;
  imageId: string;
  /** a host path no tar may write to */
  canary: string;
}

export type ParamKind = 'container' | 'image' | 'exec' | 'volume' | 'network' | 'plugin' | 'swarm';
export type BodyKind = 'none' | 'json' | 'build' | 'load' | 'archive' | 'import';

export interface Endpoint {
  method: string;
  /** spec path: `{id}` / `{name}` are filled from `param` */
  path: string;
  param?: ParamKind;
  /** valid query values to start from (several values: one is picked) */
  query?: Record<string, readonly string[]>;
  body?: BodyKind;
  /** a valid JSON body */
  json?: (fx: Fixtures, rng: Rng) => unknown;
  /** may hold the request open before answering (waits, stops, pulls, attach): not a hang */
  mayBlock?: boolean;
  /** upgrades the connection (attach, exec start) */
  hijack?: boolean;
  /** reaches a registry: with none reachable (offline CI), a 502/503/504 naming the upstream failure is right */
  upstream?: boolean;
  /** relative frequency (default 1) */
  weight?: number;
}

const B = ['0', '1', 'true', 'false'];
const FILTERS = ['{}', '{"label":["a=b"]}', '{"dangling":["true"]}', '{"name":{"fz":true}}', '{"until":["1h"]}', '{"label!":["x"]}'];
const N = ['0', '1', '10', '-1'];

const containerBody = (fx: Fixtures, rng: Rng): unknown => ({
  Image: rng.pick(['busybox', 'busybox:latest', fx.image]), Cmd: rng.pick([['true'], ['sleep', '1'], 'echo hi']), Labels: { fz: '1' },
  Env: ['A=1'], WorkingDir: '/', Tty: rng.chance(0.3), OpenStdin: rng.chance(0.2), ExposedPorts: { '80/tcp': {} }, StopTimeout: 1,
  Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000, Retries: 1 },
  HostConfig: {
    NetworkMode: rng.pick(['none', 'bridge', fx.network]), Memory: 64 << 20, CpuShares: 512, PidsLimit: 64, AutoRemove: rng.chance(0.2),
    RestartPolicy: { Name: rng.pick(['no', 'on-failure']), MaximumRetryCount: 1 }, Binds: rng.chance(0.3) ? [`${fx.volume}:/data`] : null,
    Mounts: rng.chance(0.2) ? [{ Type: 'volume', Source: fx.volume, Target: '/m' }] : null, Tmpfs: { '/t': 'size=1m' },
    PortBindings: rng.chance(0.2) ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } : null, Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, CapDrop: ['NET_RAW'], Sysctls: {}, ShmSize: 1 << 20,
  },
  NetworkingConfig: { EndpointsConfig: rng.chance(0.3) ? { [fx.network]: { Aliases: ['fz'] } } : {} },
});

const hostUpdate = (): unknown => ({ Memory: 128 << 20, MemorySwap: -1, CpuShares: 256, PidsLimit: 100, RestartPolicy: { Name: 'no' }, BlkioWeight: 500 });
const swarmSpec = (): unknown => ({ Name: 'fz', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Data: 'eA==' });

export const ENDPOINTS: readonly Endpoint[] = [
  // containers
  { method: 'GET', path: '/containers/json', query: { all: B, limit: N, size: B, filters: [...FILTERS, '{"status":["running"]}', '{"before":["fz-c"]}'] }, weight: 2 },
  { method: 'POST', path: '/containers/create', query: { name: ['', 'fz-new', 'fz-x_1.2'], platform: ['', 'linux/amd64'] }, body: 'json', json: containerBody, weight: 6 },
  { method: 'GET', path: '/containers/{id}/json', param: 'container', query: { size: B }, weight: 2 },
  { method: 'GET', path: '/containers/{id}/top', param: 'container', query: { ps_args: ['', '-ef', 'aux'] } },
  { method: 'GET', path: '/containers/{id}/logs', param: 'container', query: { stdout: B, stderr: B, follow: ['0', '1'], tail: ['all', '10', '0'], since: ['0', '1700000000'], until: ['0'], timestamps: B }, mayBlock: true, weight: 2 },
  { method: 'GET', path: '/containers/{id}/changes', param: 'container' },
  { method: 'GET', path: '/containers/{id}/export', param: 'container', mayBlock: true },
  { method: 'GET', path: '/containers/{id}/stats', param: 'container', query: { stream: B, 'one-shot': B }, mayBlock: true },
  { method: 'POST', path: '/containers/{id}/resize', param: 'container', query: { h: ['24', '0'], w: ['80', '0'] } },
  { method: 'POST', path: '/containers/{id}/start', param: 'container', query: { detachKeys: ['', 'ctrl-p,ctrl-q'] }, weight: 2 },
  { method: 'POST', path: '/containers/{id}/stop', param: 'container', query: { t: ['0', '1'], signal: ['', 'SIGKILL', 'TERM'] }, mayBlock: true },
  { method: 'POST', path: '/containers/{id}/restart', param: 'container', query: { t: ['0', '1'], signal: ['', 'KILL'] }, mayBlock: true },
  { method: 'POST', path: '/containers/{id}/kill', param: 'container', query: { signal: ['', 'SIGWINCH', 'HUP', '0', 'SIGRTMIN+1'] } },
  { method: 'POST', path: '/containers/{id}/update', param: 'container', body: 'json', json: hostUpdate },
  { method: 'POST', path: '/containers/{id}/rename', param: 'container', query: { name: ['fz-renamed', 'fz-c'] } },
  { method: 'POST', path: '/containers/{id}/pause', param: 'container' },
  { method: 'POST', path: '/containers/{id}/unpause', param: 'container' },
  { method: 'POST', path: '/containers/{id}/attach', param: 'container', query: { stream: B, stdin: B, stdout: B, stderr: B, logs: B, detachKeys: ['', 'ctrl-a'] }, hijack: true, mayBlock: true, weight: 2 },
  { method: 'GET', path: '/containers/{id}/attach/ws', param: 'container', query: { stream: B, stdout: B }, mayBlock: true },
  { method: 'POST', path: '/containers/{id}/wait', param: 'container', query: { condition: ['not-running', 'next-exit', 'removed'] }, mayBlock: true },
  { method: 'DELETE', path: '/containers/{id}', param: 'container', query: { v: B, force: B, link: ['0'] } },
  { method: 'HEAD', path: '/containers/{id}/archive', param: 'container', query: { path: ['/', '/etc/hostname', '/bin', '/etc/../etc/passwd', '../../../../etc/shadow', '/proc/self/root/etc'] }, weight: 2 },
  { method: 'GET', path: '/containers/{id}/archive', param: 'container', query: { path: ['/etc/hostname', '/etc/', '/bin/sh', '/../../../etc/hostname', '/dev/null', '/proc/1/root/etc/hostname', '/sys/kernel/.'] }, mayBlock: true, weight: 2 },
  { method: 'PUT', path: '/containers/{id}/archive', param: 'container', query: { path: ['/', '/tmp', '/etc/../tmp', '../../../../tmp', '/proc', '/nonexist'], noOverwriteDirNonDir: B, copyUIDGID: B }, body: 'archive', weight: 4 },
  { method: 'POST', path: '/containers/prune', query: { filters: FILTERS } },
  // images
  { method: 'GET', path: '/images/json', query: { all: B, filters: [...FILTERS, '{"reference":["busy*"]}'], 'shared-size': B, digests: B, manifests: B } },
  { method: 'POST', path: '/build', query: { t: ['fz-built', 'fz-built:1', ''], dockerfile: ['Dockerfile', 'sub/Dockerfile', '../Dockerfile'], q: B, nocache: B, rm: B, forcerm: B, buildargs: ['{}', '{"A":"1"}'], labels: ['{}'], networkmode: ['none', 'default'], memory: ['0', '67108864'], shmsize: ['0'], target: [''], platform: ['', 'linux/amd64'], version: ['1'] }, body: 'build', mayBlock: true, weight: 4 },
  { method: 'POST', path: '/build/prune', query: { all: B, 'keep-storage': N, filters: FILTERS } },
  { method: 'POST', path: '/images/create', query: { fromImage: ['busybox', '127.0.0.1:1/nope', 'fz-img'], tag: ['latest', ''], fromSrc: ['-'], repo: ['fz-imported', ''], platform: ['', 'linux/amd64'], changes: ['CMD ["sh"]', 'ENV A=1'] }, body: 'import', mayBlock: true, upstream: true, weight: 2 },
  { method: 'GET', path: '/images/{name}/json', param: 'image', weight: 2 },
  { method: 'GET', path: '/images/{name}/history', param: 'image', query: { platform: ['', '{"os":"linux"}'] } },
  { method: 'POST', path: '/images/{name}/push', param: 'image', query: { tag: ['', 'latest'], platform: [''] }, mayBlock: true, upstream: true },
  { method: 'POST', path: '/images/{name}/tag', param: 'image', query: { repo: ['fz-tag', 'localhost:5000/fz', 'UPPER', ''], tag: ['1', 'latest', ''] } },
  { method: 'DELETE', path: '/images/{name}', param: 'image', query: { force: B, noprune: B } },
  { method: 'GET', path: '/images/search', query: { term: ['busybox', ''], limit: N, filters: FILTERS }, mayBlock: true },
  { method: 'POST', path: '/images/prune', query: { filters: ['{"dangling":["true"]}', '{"label":["fz=1"]}', '{"until":["1s"]}'] } },
  { method: 'POST', path: '/auth', body: 'json', json: () => ({ username: 'fz', password: 'x', serveraddress: '127.0.0.1:1' }), mayBlock: true, upstream: true },
  // system
  { method: 'GET', path: '/info' }, { method: 'GET', path: '/version' }, { method: 'GET', path: '/_ping' }, { method: 'HEAD', path: '/_ping' },
  { method: 'POST', path: '/commit', query: { container: ['fz-c', 'fz-created'], repo: ['fz-committed', ''], tag: ['', '1'], comment: ['c'], author: ['a'], pause: B, changes: ['CMD ["sh"]', 'BOGUS x'] }, body: 'json', json: () => ({ Cmd: ['sh'], Labels: { fz: '1' } }), weight: 2 },
  { method: 'GET', path: '/events', query: { since: ['0', ''], until: ['1', ''], filters: [...FILTERS, '{"type":["container"]}'] }, mayBlock: true },
  { method: 'GET', path: '/system/df', query: { type: ['container', 'image', 'volume', 'build-cache'] } },
  { method: 'GET', path: '/images/{name}/get', param: 'image', query: { platform: [''] }, mayBlock: true },
  { method: 'GET', path: '/images/get', query: { names: ['busybox', 'fz-img', 'busybox,fz-img'], platform: [''] }, mayBlock: true },
  { method: 'POST', path: '/images/load', query: { quiet: B, platform: [''] }, body: 'load', weight: 4 },
  // exec
  { method: 'POST', path: '/containers/{id}/exec', param: 'container', body: 'json', json: () => ({ Cmd: ['true'], AttachStdout: true, AttachStderr: true, Env: ['A=1'], WorkingDir: '/', User: '', Tty: false, ConsoleSize: [24, 80] }), weight: 2 },
  { method: 'POST', path: '/exec/{id}/start', param: 'exec', body: 'json', json: (_fx, rng) => ({ Detach: rng.chance(0.5), Tty: false }), hijack: true, mayBlock: true, weight: 2 },
  { method: 'POST', path: '/exec/{id}/resize', param: 'exec', query: { h: ['24'], w: ['80'] } },
  { method: 'GET', path: '/exec/{id}/json', param: 'exec' },
  // volumes
  { method: 'GET', path: '/volumes', query: { filters: [...FILTERS, '{"dangling":["1"]}'] } },
  { method: 'POST', path: '/volumes/create', body: 'json', json: (_fx, rng) => ({ Name: rng.pick(['fz-vol', '', 'fz-v2']), Driver: 'local', DriverOpts: rng.chance(0.3) ? { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } : {}, Labels: { fz: '1' } }), weight: 2 },
  { method: 'GET', path: '/volumes/{name}', param: 'volume' },
  { method: 'PUT', path: '/volumes/{name}', param: 'volume', query: { version: ['1'] }, body: 'json', json: () => ({ Spec: { Availability: 'active' } }) },
  { method: 'DELETE', path: '/volumes/{name}', param: 'volume', query: { force: B } },
  { method: 'POST', path: '/volumes/prune', query: { filters: ['{"label":["fz=1"]}', '{"all":["true"]}'] } },
  // networks
  { method: 'GET', path: '/networks', query: { filters: [...FILTERS, '{"type":["custom"]}'] } },
  { method: 'GET', path: '/networks/{id}', param: 'network', query: { verbose: B, scope: ['', 'local', 'swarm'] } },
  { method: 'DELETE', path: '/networks/{id}', param: 'network' },
  { method: 'POST', path: '/networks/create', body: 'json', json: (_fx, rng) => ({ Name: rng.pick(['fz-net2', 'fz-net3']), Driver: rng.pick(['bridge', 'macvlan', 'overlay', '']), Internal: rng.chance(0.5), Labels: { fz: '1' }, IPAM: { Driver: 'default', Config: rng.chance(0.5) ? [{ Subnet: `10.${200 + rng.int(50)}.${rng.int(250)}.0/24` }] : [] }, Options: {} }), weight: 2 },
  { method: 'POST', path: '/networks/{id}/connect', param: 'network', body: 'json', json: (fx) => ({ Container: fx.created, EndpointConfig: { Aliases: ['a'], IPAMConfig: {} } }) },
  { method: 'POST', path: '/networks/{id}/disconnect', param: 'network', body: 'json', json: (fx) => ({ Container: fx.created, Force: true }) },
  { method: 'POST', path: '/networks/prune', query: { filters: ['{"label":["fz=1"]}', '{"until":["1h"]}'] } },
  // plugins
  { method: 'GET', path: '/plugins', query: { filters: ['{}', '{"capability":["volumedriver"]}', '{"enabled":["true"]}'] } },
  { method: 'GET', path: '/plugins/privileges', query: { remote: ['fz/plugin'] } },
  { method: 'POST', path: '/plugins/pull', query: { remote: ['fz/plugin'], name: ['fz'] }, body: 'json', json: () => [] },
  { method: 'GET', path: '/plugins/{name}/json', param: 'plugin' },
  { method: 'DELETE', path: '/plugins/{name}', param: 'plugin', query: { force: B } },
  { method: 'POST', path: '/plugins/{name}/enable', param: 'plugin', query: { timeout: N } },
  { method: 'POST', path: '/plugins/{name}/disable', param: 'plugin', query: { force: B } },
  { method: 'POST', path: '/plugins/{name}/upgrade', param: 'plugin', query: { remote: ['fz/plugin'] }, body: 'json', json: () => [] },
  { method: 'POST', path: '/plugins/create', query: { name: ['fz'] }, body: 'build' },
  { method: 'POST', path: '/plugins/{name}/push', param: 'plugin' },
  { method: 'POST', path: '/plugins/{name}/set', param: 'plugin', body: 'json', json: () => ['DEBUG=1'] },
  // swarm family: pier is never a swarm manager
  { method: 'GET', path: '/nodes', query: { filters: FILTERS } }, { method: 'GET', path: '/nodes/{id}', param: 'swarm' },
  { method: 'DELETE', path: '/nodes/{id}', param: 'swarm', query: { force: B } },
  { method: 'POST', path: '/nodes/{id}/update', param: 'swarm', query: { version: N }, body: 'json', json: () => ({ Role: 'worker', Availability: 'active' }) },
  { method: 'GET', path: '/swarm' },
  { method: 'POST', path: '/swarm/init', body: 'json', json: () => ({ ListenAddr: '0.0.0.0:2377', ForceNewCluster: false }) },
  { method: 'POST', path: '/swarm/join', body: 'json', json: () => ({ RemoteAddrs: ['127.0.0.1:1'], JoinToken: 'x' }) },
  { method: 'POST', path: '/swarm/leave', query: { force: B } },
  { method: 'POST', path: '/swarm/update', query: { version: N }, body: 'json', json: swarmSpec },
  { method: 'GET', path: '/swarm/unlockkey' }, { method: 'POST', path: '/swarm/unlock', body: 'json', json: () => ({ UnlockKey: 'x' }) },
  { method: 'GET', path: '/services', query: { filters: FILTERS, status: B } },
  { method: 'POST', path: '/services/create', body: 'json', json: swarmSpec },
  { method: 'GET', path: '/services/{id}', param: 'swarm' }, { method: 'DELETE', path: '/services/{id}', param: 'swarm' },
  { method: 'POST', path: '/services/{id}/update', param: 'swarm', query: { version: N }, body: 'json', json: swarmSpec },
  { method: 'GET', path: '/services/{id}/logs', param: 'swarm', query: { stdout: B } },
  { method: 'GET', path: '/tasks', query: { filters: FILTERS } }, { method: 'GET', path: '/tasks/{id}', param: 'swarm' },
  { method: 'GET', path: '/tasks/{id}/logs', param: 'swarm', query: { stdout: B } },
  { method: 'GET', path: '/secrets', query: { filters: FILTERS } }, { method: 'POST', path: '/secrets/create', body: 'json', json: swarmSpec },
  { method: 'GET', path: '/secrets/{id}', param: 'swarm' }, { method: 'DELETE', path: '/secrets/{id}', param: 'swarm' },
  { method: 'POST', path: '/secrets/{id}/update', param: 'swarm', query: { version: N }, body: 'json', json: swarmSpec },
  { method: 'GET', path: '/configs', query: { filters: FILTERS } }, { method: 'POST', path: '/configs/create', body: 'json', json: swarmSpec },
  { method: 'GET', path: '/configs/{id}', param: 'swarm' }, { method: 'DELETE', path: '/configs/{id}', param: 'swarm' },
  { method: 'POST', path: '/configs/{id}/update', param: 'swarm', query: { version: N }, body: 'json', json: swarmSpec },
  { method: 'GET', path: '/distribution/{name}/json', param: 'image', mayBlock: true },
  { method: 'POST', path: '/session', mayBlock: true },
];

/** The spec operations no endpoint of the table covers (must be empty). */
export function uncovered(): string[] {
  const have = new Set(ENDPOINTS.map((e) => `${e.method} ${e.path}`));
  return SPEC_ROUTES.filter((r) => !have.has(r));
}
