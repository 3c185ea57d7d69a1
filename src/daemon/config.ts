import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidParameterError } from '../errdefs/index.js';
import { parseLevel, type Level } from '../pkg/log/index.js';
import { parseRemapSpec } from '../pkg/idtools/index.js';
import { DEFAULT_LIMITS } from '../api/index.js';

/** The daemon's whole configuration: defaults ← daemon.json ← environment ← flags; frozen. */
export interface DaemonConfig {
  readonly hosts: readonly string[];
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidfile: string;
  readonly logLevel: Level;
  readonly defaultRuntime: string;
  readonly runtimes: Readonly<Record<string, { path: string }>>;
  readonly group: string;
  readonly initPath: string | undefined;
  readonly configFile: string | undefined;
  readonly debug: boolean;
  readonly showVersion: boolean;
  readonly showHelp: boolean;
  readonly labels: readonly string[];
  /** Registries reached over plain HTTP / without TLS verification (host[:port] or CIDR); loopback always is. */
  readonly insecureRegistries: readonly string[];
  /** docker.io pulls try these first, in order (`registry-mirrors`, `--registry-mirror`), normalised to `scheme://host[:port]/`. */
  readonly registryMirrors: readonly string[];
  /** TLS for TCP listeners: off, server-only (`--tls`) or with client certificates (`--tlsverify`). */
  readonly tls: { mode: 'off' | 'tls' | 'verify'; ca: string; cert: string; key: string };
  /** Plain HTTP allowed on a non-loopback TCP address (`--insecure-tcp`). */
  readonly insecureTcp: boolean;
  /** Legacy authorization plugins every API request and answer passes through, in order. */
  readonly authorizationPlugins: readonly string[];
  /** This daemon's underlay address for overlay networks (VXLAN and the peer channel). */
  readonly clusterAdvertise: string | undefined;
  /** The other daemons' underlay addresses. */
  readonly clusterPeers: readonly string[];
  /** TCP port of the peer channel (docker's gossip port, 7946). */
  readonly clusterPort: number;
  /** What pier does with a container that turns unhealthy, unless its pier.health-on-failure label says otherwise. */
  readonly healthOnFailure: 'none' | 'kill' | 'restart' | 'stop';
  /** `--userns-remap`: `default`, `user` or `user:group` whose subordinate ids containers run as; undefined: off. */
  readonly usernsRemap: string | undefined;
  /** `--no-new-privileges`: every container gets no_new_privs unless it says otherwise. */
  readonly noNewPrivileges: boolean;
  /** `--seccomp-profile`: `builtin` (docker's default profile), `unconfined`, or a profile file. */
  readonly seccompProfile: string;
  /** Bounds on what API clients can make pierd hold (issue 10): see api/limits.ts for the defaults' reasons. */
  readonly apiLimits: { readonly maxHijackedStreams: number; readonly maxHeaderSize: number; readonly maxJsonBody: number };
}

/** Defaults of `apiLimits`; also what api/ uses when given none. */
export const DEFAULT_API_LIMITS = DEFAULT_LIMITS;

export const DEFAULT_SOCKET = 'unix:///run/pier/pier.sock';

const FLAGS_WITH_VALUE = new Map<string, string>([
  ['-H', 'host'], ['--host', 'host'], ['--data-root', 'data-root'], ['-g', 'data-root'], ['--graph', 'data-root'],
  ['--exec-root', 'exec-root'], ['--pidfile', 'pidfile'], ['-p', 'pidfile'], ['--log-level', 'log-level'], ['-l', 'log-level'],
  ['--runtime', 'default-runtime'], ['--default-runtime', 'default-runtime'], ['--config-file', 'config-file'],
  ['--group', 'group'], ['-G', 'group'], ['--add-runtime', 'add-runtime'], ['--init-path', 'init-path'], ['--label', 'label'],
  ['--insecure-registry', 'insecure-registry'],
  ['--registry-mirror', 'registry-mirror'],
  ['--authorization-plugin', 'authorization-plugin'],
  ['--cluster-advertise', 'cluster-advertise'], ['--cluster-peer', 'cluster-peer'], ['--cluster-port', 'cluster-port'],
  ['--health-on-failure', 'health-on-failure'],
  ['--userns-remap', 'userns-remap'],
  ['--seccomp-profile', 'seccomp-profile'],
  ['--max-hijacked-streams', 'max-hijacked-streams'], ['--max-header-size', 'max-header-size'], ['--max-json-body', 'max-json-body'],
  ['--tlscacert', 'tlscacert'], ['--tlscert', 'tlscert'], ['--tlskey', 'tlskey'],
]);
const BOOL_FLAGS = new Map<string, string>([
  ['-D', 'debug'], ['--debug', 'debug'], ['-v', 'version'], ['--version', 'version'], ['-h', 'help'], ['--help', 'help'],
  ['--tls', 'tls'], ['--tlsverify', 'tlsverify'], ['--insecure-tcp', 'insecure-tcp'],
  ['--no-new-privileges', 'no-new-privileges'],
]);

export const USAGE = `Usage:	pierd [OPTIONS]

A self-sufficient runtime for containers: the Docker Engine API, served by pier.

Options:
      --add-runtime runtime       Register an additional OCI compatible runtime (name=path)
      --cluster-advertise string  Address other daemons reach this one on, for overlay networks
      --cluster-peer list         Address of another daemon sharing overlay networks (repeatable)
      --cluster-port int          TCP port of the overlay peer channel (default 7946)
      --health-on-failure string  What to do with an unhealthy container: none|kill|restart|stop (default "none")
      --config-file string        Daemon configuration file (default "/etc/pier/daemon.json")
      --data-root string          Root directory of persistent pier state (default "/var/lib/pier")
  -D, --debug                     Enable debug mode
      --default-runtime string    Default OCI runtime for containers (default "crun"); also --runtime
      --exec-root string          Root directory for execution state files (default "/run/pier")
  -G, --group string              Group for the unix socket (default "docker" when it exists)
  -H, --host list                 Daemon socket(s) to connect to (default ${DEFAULT_SOCKET})
      --init-path string          Path to the init binary used by --init (default tini or catatonit)
      --max-hijacked-streams int  Concurrent attach/exec streams before new ones are refused (default 1024)
      --max-header-size int       Largest request head in bytes, else 431 (default 65536)
      --max-json-body int         Largest JSON request body in bytes, else 413 (default 33554432)
      --insecure-registry list    Enable insecure registry communication (loopback registries always are)
      --no-new-privileges         Set no-new-privileges by default for new containers
      --registry-mirror list      Preferred registry mirror for docker.io (http or https URL)
      --tls                       Use TLS on TCP listeners; implied by --tlsverify
      --tlscacert string          Trust certs signed only by this CA (default "~/.docker/ca.pem")
      --tlscert string            Path to TLS certificate file (default "~/.docker/cert.pem")
      --tlskey string             Path to TLS key file (default "~/.docker/key.pem")
      --tlsverify                 Use TLS and verify the remote (clients must present a certificate signed by the CA)
      --insecure-tcp              Serve plain, unauthenticated HTTP on a non-loopback TCP address (anyone who
                                  reaches it controls the host)
      --authorization-plugin list Authorization plugins to load
  -l, --log-level string          Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
  -p, --pidfile string            Path to use for daemon PID file (default "<exec-root>/pierd.pid")
      --seccomp-profile string    Path to a seccomp profile; "unconfined" turns the default off (default "builtin")
      --userns-remap string       User/Group setting for user namespaces: default (the dockremap user), user or user:group
  -v, --version                   Print version information and quit
`;

interface Raw { [k: string]: string[] }

function parseArgs(argv: readonly string[]): Raw {
  const raw: Raw = {};
  const add = (k: string, v: string): void => { (raw[k] ??= []).push(v); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const valued = FLAGS_WITH_VALUE.get(name);
    if (valued) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new InvalidParameterError(`flag needs an argument: ${name}`);
      add(valued, v);
      continue;
    }
    // -Hunix://… and -lDEBUG short forms
    const short = /^(-[Hlgp])(.+)$/.exec(a);
    if (short?.[1] && short[2] && FLAGS_WITH_VALUE.has(short[1])) {
      add(FLAGS_WITH_VALUE.get(short[1]) ?? '', short[2]);
      continue;
    }
    const b = BOOL_FLAGS.get(name);
    if (b) {
      add(b, inline ?? 'true');
      continue;
    }
    if (a.startsWith('-')) throw new InvalidParameterError(`unknown flag: ${name}`);
    throw new InvalidParameterError(`pierd does not take positional arguments: "${a}"`);
  }
  return raw;
}

function which(names: readonly string[]): string | undefined {
  const dirs = (process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const n of names) {
    if (n.startsWith('/')) { if (existsSync(n)) return n; continue; }
    for (const d of [...dirs, '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/libexec/podman']) {
      const p = join(d, n);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string') throw new InvalidParameterError(`invalid value for "${key}" in the config file: want a string`);
  return v;
}

/** Builds the frozen config; InvalidParameterError with a one-line reason on bad input. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const raw = parseArgs(argv);
  const last = (k: string): string | undefined => raw[k]?.[raw[k].length - 1];
  const configFile = last('config-file') ?? (existsSync('/etc/pier/daemon.json') ? '/etc/pier/daemon.json' : undefined);
  let file: Record<string, unknown> = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new InvalidParameterError(`unable to read the config file ${configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const v: unknown = JSON.parse(text);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      file = v as Record<string, unknown>;
    } catch (err) {
      throw new InvalidParameterError(`unable to configure the pier daemon with file ${configFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const known = new Set(['hosts', 'data-root', 'exec-root', 'pidfile', 'log-level', 'default-runtime', 'runtimes', 'group', 'debug', 'init-path', 'labels', 'live-restore', 'storage-driver', 'log-driver', 'log-opts', 'insecure-registries', 'registry-mirrors', 'authorization-plugins', 'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey', 'insecure-tcp', 'cluster-advertise', 'cluster-peers', 'cluster-port', 'health-on-failure', 'userns-remap', 'no-new-privileges', 'seccomp-profile', 'max-hijacked-streams', 'max-header-size', 'max-json-body']);
    for (const k of Object.keys(file)) {
      if (!known.has(k)) throw new InvalidParameterError(`unable to configure the pier daemon with file ${configFile}: the following directives don't match any configuration option: ${k}`);
    }
    for (const k of ['hosts', 'data-root', 'exec-root', 'pidfile', 'log-level', 'default-runtime', 'group', 'userns-remap']) {
      if (file[k] !== undefined && raw[k] !== undefined) {
        throw new InvalidParameterError(`unable to configure the pier daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: ${k}`);
      }
    }
  }
  const fileStr = (k: string): string | undefined => (file[k] === undefined ? undefined : str(file[k], k));
  const hosts = raw['host'] ?? (Array.isArray(file['hosts']) ? (file['hosts'] as unknown[]).map((h) => str(h, 'hosts')) : undefined) ?? [env['PIER_HOST'] || DEFAULT_SOCKET];
  for (const h of hosts) {
    if (!/^(unix|tcp|fd):\/\//.test(h)) throw new InvalidParameterError(`invalid daemon address "${h}": want unix:///path or tcp://host:port`);
  }
  const dataRoot = resolve(last('data-root') ?? fileStr('data-root') ?? '/var/lib/pier');
  const execRoot = resolve(last('exec-root') ?? fileStr('exec-root') ?? '/run/pier');
  const debug = last('debug') === 'true' || file['debug'] === true;
  const levelText = last('log-level') ?? fileStr('log-level') ?? (debug ? 'debug' : 'info');
  const logLevel = parseLevel(levelText);
  if (!logLevel) throw new InvalidParameterError(`unable to parse logging level: ${levelText}`);
  const runtimes: Record<string, { path: string }> = {};
  const crun = which(['crun']);
  const runc = which(['runc']);
  if (crun) runtimes['crun'] = { path: crun };
  if (runc) runtimes['runc'] = { path: runc };
  const fileRuntimes = file['runtimes'];
  if (fileRuntimes && typeof fileRuntimes === 'object') {
    for (const [n, v] of Object.entries(fileRuntimes as Record<string, unknown>)) {
      const p = (v as { path?: unknown } | null)?.path;
      runtimes[n] = { path: str(p, `runtimes.${n}.path`) };
    }
  }
  for (const spec of raw['add-runtime'] ?? []) {
    const [n, p] = spec.split('=');
    if (!n || !p) throw new InvalidParameterError(`invalid runtime "${spec}": want name=path`);
    runtimes[n] = { path: p };
  }
  const defaultRuntime = last('default-runtime') ?? fileStr('default-runtime') ?? 'crun';
  if (!runtimes[defaultRuntime]) {
    throw new InvalidParameterError(`default runtime "${defaultRuntime}" is not available: install it (apt-get install ${defaultRuntime}) or pass --runtime with one of: ${Object.keys(runtimes).join(', ') || 'none found'}`);
  }
  const clusterAdvertise = last('cluster-advertise') ?? fileStr('cluster-advertise');
  const clusterPeers = [
    ...(Array.isArray(file['cluster-peers']) ? (file['cluster-peers'] as unknown[]).map((r) => str(r, 'cluster-peers')) : []),
    ...(raw['cluster-peer'] ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean),
  ];
  const portText = last('cluster-port') ?? (typeof file['cluster-port'] === 'number' ? String(file['cluster-port']) : undefined);
  const clusterPort = portText === undefined ? 7946 : Number(portText);
  if (!Number.isInteger(clusterPort) || clusterPort < 1 || clusterPort > 65535) throw new InvalidParameterError(`invalid --cluster-port: ${portText ?? ''}`);
  for (const a of [clusterAdvertise, ...clusterPeers]) {
    if (a !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) throw new InvalidParameterError(`invalid cluster address "${a}": want an IPv4 address`);
  }
  if (clusterPeers.length && !clusterAdvertise) throw new InvalidParameterError('--cluster-peer needs --cluster-advertise: the address the peers reach this daemon on');
  const healthOnFailure = last('health-on-failure') ?? fileStr('health-on-failure') ?? 'none';
  if (!['none', 'kill', 'restart', 'stop'].includes(healthOnFailure)) {
    throw new InvalidParameterError(`invalid health-on-failure "${healthOnFailure}": want none, kill, restart or stop`);
  }
  const usernsRemap = (last('userns-remap') ?? fileStr('userns-remap')) || undefined;
  if (usernsRemap) parseRemapSpec(usernsRemap);
  const limit = (k: 'max-hijacked-streams' | 'max-header-size' | 'max-json-body', dflt: number, min: number): number => {
    const text = last(k) ?? (typeof file[k] === 'number' ? String(file[k]) : undefined);
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidParameterError(`invalid --${k}: "${text}": want an integer of at least ${min}`);
    return n;
  };
  const apiLimits = {
    maxHijackedStreams: limit('max-hijacked-streams', DEFAULT_API_LIMITS.maxHijackedStreams, 1),
    maxHeaderSize: limit('max-header-size', DEFAULT_API_LIMITS.maxHeaderSize, 1024),
    maxJsonBody: limit('max-json-body', DEFAULT_API_LIMITS.maxJsonBody, 1024),
  };
  const cfg: DaemonConfig = {
    hosts, dataRoot, execRoot, apiLimits,
    pidfile: resolve(last('pidfile') ?? fileStr('pidfile') ?? join(execRoot, 'pierd.pid')),
    logLevel, defaultRuntime, runtimes,
    group: last('group') ?? fileStr('group') ?? 'docker',
    initPath: last('init-path') ?? fileStr('init-path') ?? which(['tini-static', 'tini', 'catatonit']),
    configFile, debug,
    showVersion: last('version') === 'true',
    showHelp: last('help') === 'true',
    labels: raw['label'] ?? [],
    insecureRegistries: [
      ...(Array.isArray(file['insecure-registries']) ? (file['insecure-registries'] as unknown[]).map((r) => str(r, 'insecure-registries')) : []),
      ...(raw['insecure-registry'] ?? []),
    ],
    registryMirrors: [
      ...(Array.isArray(file['registry-mirrors']) ? (file['registry-mirrors'] as unknown[]).map((r) => str(r, 'registry-mirrors')) : []),
      ...(raw['registry-mirror'] ?? []),
    ].map(validateMirror),
    tls: tlsConfig(last, file, env),
    insecureTcp: last('insecure-tcp') === 'true' || file['insecure-tcp'] === true,
    authorizationPlugins: [
      ...(Array.isArray(file['authorization-plugins']) ? (file['authorization-plugins'] as unknown[]).map((r) => str(r, 'authorization-plugins')) : []),
      ...(raw['authorization-plugin'] ?? []),
    ].map((n) => {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(n)) throw new InvalidParameterError(`invalid authorization plugin name "${n}"`);
      return n;
    }),
    clusterAdvertise, clusterPeers, clusterPort, healthOnFailure: healthOnFailure as DaemonConfig['healthOnFailure'],
    usernsRemap,
    seccompProfile: last('seccomp-profile') ?? fileStr('seccomp-profile') ?? 'builtin',
    noNewPrivileges: last('no-new-privileges') === 'true' || file['no-new-privileges'] === true,
  };
  return Object.freeze(cfg);
}

/** docker's ValidateMirror: an http(s) URL of a host, nothing after it; returned as `scheme://host/`. */
export function validateMirror(v: string): string {
  let u: URL;
  try { u = new URL(v); } catch { throw new InvalidParameterError(`invalid mirror: "${v}" is not a valid URI`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidParameterError(`invalid mirror: unsupported scheme "${u.protocol.replace(/:$/, '')}" in "${v}"`);
  if (u.username || u.password) throw new InvalidParameterError(`invalid mirror: username/password not allowed in URI "${v}"`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) throw new InvalidParameterError(`invalid mirror: path, query, or fragment at end of the URI "${v}"`);
  return `${u.protocol}//${u.host}/`;
}

/** dockerd's TLS settings: flags over daemon.json; files default to ~/.docker/{ca,cert,key}.pem (DOCKER_CERT_PATH). */
function tlsConfig(last: (k: string) => string | undefined, file: Record<string, unknown>, env: NodeJS.ProcessEnv): DaemonConfig['tls'] {
  const bool = (k: string): boolean => {
    const f = last(k);
    if (f !== undefined) return f === 'true';
    if (file[k] !== undefined && typeof file[k] !== 'boolean') throw new InvalidParameterError(`invalid value for "${k}" in the config file: want true or false`);
    return file[k] === true;
  };
  const path = (k: string, def: string): string => {
    const v = last(k) ?? (file[k] === undefined ? undefined : str(file[k], k));
    return resolve(v ?? join(env['DOCKER_CERT_PATH'] || join(env['HOME'] || '/root', '.docker'), def));
  };
  const verify = bool('tlsverify');
  const mode = verify ? 'verify' : bool('tls') ? 'tls' : 'off';
  return { mode, ca: path('tlscacert', 'ca.pem'), cert: path('tlscert', 'cert.pem'), key: path('tlskey', 'key.pem') };
}
