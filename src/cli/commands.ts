// The command table: names, aliases, usage, argument rules and flags of every
// `pier` command, as docker 28 has them. Handlers load lazily so `pier ps`
// only loads what ps needs.

import type { Handler } from './context.js';
import type { FlagSpec } from './flags.js';
import { containerFlags, runOnlyFlags } from './run-flags.js';

export type ArgRule = { min?: number; max?: number };

export interface CommandSpec {
  /** Names it answers to: 'run' top level, 'container run' under its group. */
  readonly names: readonly string[];
  readonly usage: string;
  readonly desc: string;
  readonly args: ArgRule;
  readonly flags: readonly FlagSpec[];
  /** false: flags end at the first positional (run, create, exec). */
  readonly interspersed?: boolean;
  readonly load: () => Promise<Handler>;
}

const b = (long: string, desc: string, short?: string): FlagSpec => (short === undefined ? { long, type: 'bool', desc } : { long, short, type: 'bool', desc });
const s = (long: string, desc: string, short?: string, def?: string): FlagSpec => ({ long, type: 'string', desc, ...(short !== undefined ? { short } : {}), ...(def !== undefined ? { def } : {}) });
const FORMAT = "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.";
const formatFlag = (short?: string): FlagSpec => s('format', FORMAT.split('\n')[0] ?? '', short);
const filterFlag = (desc = 'Filter output based on conditions provided', short: string | undefined = 'f'): FlagSpec => ({ long: 'filter', type: 'filter', desc, ...(short !== undefined ? { short } : {}) });
const time = (desc = 'Seconds to wait before killing the container'): FlagSpec => ({ long: 'timeout', short: 't', type: 'int', desc });
const NONE: ArgRule = { max: 0 };

export const commands: readonly CommandSpec[] = [
  { names: ['run', 'container run'], usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', desc: 'Create and run a new container from an image', args: { min: 1 }, interspersed: false,
    flags: [...containerFlags, ...runOnlyFlags], load: async () => (await import('./commands/run.js')).runCommand },
  { names: ['create', 'container create'], usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', desc: 'Create a new container', args: { min: 1 }, interspersed: false,
    flags: containerFlags, load: async () => (await import('./commands/run.js')).createCommand },
  { names: ['start', 'container start'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Start one or more stopped containers', args: { min: 1 },
    flags: [b('attach', 'Attach STDOUT/STDERR and forward signals', 'a'), s('checkpoint', 'Restore from this checkpoint'), s('checkpoint-dir', 'Use a custom checkpoint storage directory'),
      s('detach-keys', 'Override the key sequence for detaching a container'), b('interactive', "Attach container's STDIN", 'i')],
    load: async () => (await import('./commands/start.js')).startCommand },
  { names: ['stop', 'container stop'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Stop one or more running containers', args: { min: 1 },
    flags: [s('signal', 'Signal to send to the container', 's'), time()], load: async () => (await import('./commands/lifecycle.js')).stopCommand },
  { names: ['restart', 'container restart'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Restart one or more containers', args: { min: 1 },
    flags: [s('signal', 'Signal to send to the container', 's'), time()], load: async () => (await import('./commands/lifecycle.js')).restartCommand },
  { names: ['kill', 'container kill'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Kill one or more running containers', args: { min: 1 },
    flags: [s('signal', 'Signal to send to the container', 's')], load: async () => (await import('./commands/lifecycle.js')).killCommand },
  { names: ['pause', 'container pause'], usage: 'CONTAINER [CONTAINER...]', desc: 'Pause all processes within one or more containers', args: { min: 1 },
    flags: [], load: async () => (await import('./commands/lifecycle.js')).pauseCommand },
  { names: ['unpause', 'container unpause'], usage: 'CONTAINER [CONTAINER...]', desc: 'Unpause all processes within one or more containers', args: { min: 1 },
    flags: [], load: async () => (await import('./commands/lifecycle.js')).unpauseCommand },
  { names: ['rm', 'container rm', 'container remove'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Remove one or more containers', args: { min: 1 },
    flags: [b('force', 'Force the removal of a running container (uses SIGKILL)', 'f'), b('link', 'Remove the specified link', 'l'), b('volumes', 'Remove anonymous volumes associated with the container', 'v')],
    load: async () => (await import('./commands/lifecycle.js')).rmCommand },
  { names: ['wait', 'container wait'], usage: 'CONTAINER [CONTAINER...]', desc: 'Block until one or more containers stop, then print their exit codes', args: { min: 1 },
    flags: [], load: async () => (await import('./commands/lifecycle.js')).waitCommand },
  { names: ['rename', 'container rename'], usage: 'CONTAINER NEW_NAME', desc: 'Rename a container', args: { min: 2, max: 2 },
    flags: [], load: async () => (await import('./commands/lifecycle.js')).renameCommand },
  { names: ['ps', 'container ls', 'container list', 'container ps'], usage: '[OPTIONS]', desc: 'List containers', args: NONE,
    flags: [b('all', 'Show all containers (default shows just running)', 'a'), filterFlag(), formatFlag(),
      { long: 'last', short: 'n', type: 'int', desc: 'Show n last created containers (includes all states)', def: '-1' },
      b('latest', 'Show the latest created container (includes all states)', 'l'), b('no-trunc', "Don't truncate output"),
      b('quiet', 'Only display container IDs', 'q'), b('size', 'Display total file sizes', 's')],
    load: async () => (await import('./commands/ps.js')).psCommand },
  { names: ['logs', 'container logs'], usage: '[OPTIONS] CONTAINER', desc: 'Fetch the logs of a container', args: { min: 1, max: 1 },
    flags: [b('details', 'Show extra details provided to logs'), b('follow', 'Follow log output', 'f'),
      s('since', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'),
      s('tail', 'Number of lines to show from the end of the logs', 'n', '"all"'), b('timestamps', 'Show timestamps', 't'),
      s('until', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')],
    load: async () => (await import('./commands/logs.js')).logsCommand },
  { names: ['inspect'], usage: '[OPTIONS] NAME|ID [NAME|ID...]', desc: 'Return low-level information on Docker objects', args: { min: 1 },
    flags: [formatFlag('f'), b('size', 'Display total file sizes if the type is container', 's'), s('type', 'Only inspect objects of the given type')],
    load: async () => (await import('./commands/inspect.js')).inspectCommand },
  { names: ['container inspect'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Display detailed information on one or more containers', args: { min: 1 },
    flags: [formatFlag('f'), b('size', 'Display total file sizes', 's')], load: async () => (await import('./commands/inspect.js')).containerInspectCommand },
  { names: ['image inspect'], usage: '[OPTIONS] IMAGE [IMAGE...]', desc: 'Display detailed information on one or more images', args: { min: 1 },
    flags: [formatFlag('f'), s('platform', 'Inspect a specific platform of the multi-platform image.')], load: async () => (await import('./commands/inspect.js')).imageInspectCommand },
  { names: ['attach', 'container attach'], usage: '[OPTIONS] CONTAINER', desc: 'Attach local standard input, output, and error streams to a running container', args: { min: 1, max: 1 },
    flags: [s('detach-keys', 'Override the key sequence for detaching a container'), b('no-stdin', 'Do not attach STDIN'), { long: 'sig-proxy', type: 'bool', desc: 'Proxy all received signals to the process', def: 'true' }],
    load: async () => (await import('./commands/attach.js')).attachCommand },
  { names: ['exec', 'container exec'], usage: '[OPTIONS] CONTAINER COMMAND [ARG...]', desc: 'Execute a command in a running container', args: { min: 2 }, interspersed: false,
    flags: [b('detach', 'Detached mode: run command in the background', 'd'), s('detach-keys', 'Override the key sequence for detaching a container'),
      { long: 'env', short: 'e', type: 'list', desc: 'Set environment variables' }, { long: 'env-file', type: 'list', desc: 'Read in a file of environment variables' },
      b('interactive', 'Keep STDIN open even if not attached', 'i'), b('privileged', 'Give extended privileges to the command'), b('tty', 'Allocate a pseudo-TTY', 't'),
      s('user', 'Username or UID (format: "<name|uid>[:<group|gid>]")', 'u'), s('workdir', 'Working directory inside the container', 'w')],
    load: async () => (await import('./commands/exec.js')).execCommand },
  { names: ['top', 'container top'], usage: 'CONTAINER [ps OPTIONS]', desc: 'Display the running processes of a container', args: { min: 1 }, interspersed: false,
    flags: [], load: async () => (await import('./commands/misc.js')).topCommand },
  { names: ['stats', 'container stats'], usage: '[OPTIONS] [CONTAINER...]', desc: 'Display a live stream of container(s) resource usage statistics', args: {},
    flags: [b('all', 'Show all containers (default shows just running)', 'a'), formatFlag(), b('no-stream', 'Disable streaming stats and only pull the first result'), b('no-trunc', 'Do not truncate output')],
    load: async () => (await import('./commands/stats.js')).statsCommand },
  { names: ['port', 'container port'], usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', desc: 'List port mappings or a specific mapping for the container', args: { min: 1, max: 2 },
    flags: [], load: async () => (await import('./commands/misc.js')).portCommand },
  { names: ['update', 'container update'], usage: '[OPTIONS] CONTAINER [CONTAINER...]', desc: 'Update configuration of one or more containers', args: { min: 1 },
    flags: [{ long: 'blkio-weight', type: 'uint16', desc: 'Block IO (relative weight), between 10 and 1000, or 0 to disable', def: '0' },
      { long: 'cpu-period', type: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) period' }, { long: 'cpu-quota', type: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
      { long: 'cpu-rt-period', type: 'int', desc: 'Limit the CPU real-time period in microseconds' }, { long: 'cpu-rt-runtime', type: 'int', desc: 'Limit the CPU real-time runtime in microseconds' },
      { long: 'cpu-shares', short: 'c', type: 'int', desc: 'CPU shares (relative weight)' }, { long: 'cpus', type: 'decimal', desc: 'Number of CPUs' },
      s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'), s('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
      { long: 'memory', short: 'm', type: 'bytes', desc: 'Memory limit' }, { long: 'memory-reservation', type: 'bytes', desc: 'Memory soft limit' },
      { long: 'memory-swap', type: 'bytes', desc: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
      { long: 'pids-limit', type: 'int', desc: 'Tune container pids limit (set -1 for unlimited)' }, s('restart', 'Restart policy to apply when a container exits')],
    load: async () => (await import('./commands/misc.js')).updateCommand },
  { names: ['cp', 'container cp'], usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tpier cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', desc: 'Copy files/folders between a container and the local filesystem', args: { min: 2, max: 2 },
    flags: [b('archive', 'Archive mode (copy all uid/gid information)', 'a'), b('follow-link', 'Always follow symbol link in SRC_PATH', 'L'), b('quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached', 'q')],
    load: async () => (await import('./commands/cp.js')).cpCommand },
  { names: ['diff', 'container diff'], usage: 'CONTAINER', desc: "Inspect changes to files or directories on a container's filesystem", args: { min: 1, max: 1 },
    flags: [], load: async () => (await import('./commands/misc.js')).diffCommand },
  { names: ['export', 'container export'], usage: '[OPTIONS] CONTAINER', desc: "Export a container's filesystem as a tar archive", args: { min: 1, max: 1 },
    flags: [s('output', 'Write to a file, instead of STDOUT', 'o')], load: async () => (await import('./commands/misc.js')).exportCommand },
  { names: ['container prune'], usage: '[OPTIONS]', desc: 'Remove all stopped containers', args: NONE,
    flags: [filterFlag('Provide filter values (e.g. "until=<timestamp>")', undefined), b('force', 'Do not prompt for confirmation', 'f')],
    load: async () => (await import('./commands/prune.js')).containerPruneCommand },
  { names: ['images', 'image ls', 'image list'], usage: '[OPTIONS] [REPOSITORY[:TAG]]', desc: 'List images', args: { max: 1 },
    flags: [b('all', 'Show all images (default hides intermediate images)', 'a'), b('digests', 'Show digests'), filterFlag(), formatFlag(),
      b('no-trunc', "Don't truncate output"), b('quiet', 'Only show image IDs', 'q'), b('tree', 'List multi-platform images as a tree (EXPERIMENTAL)')],
    load: async () => (await import('./commands/images.js')).imagesCommand },
  { names: ['history', 'image history'], usage: '[OPTIONS] IMAGE', desc: 'Show the history of an image', args: { min: 1, max: 1 },
    flags: [formatFlag(), { long: 'human', short: 'H', type: 'bool', desc: 'Print sizes and dates in human readable format', def: 'true' },
      b('no-trunc', "Don't truncate output"), s('platform', 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")'), b('quiet', 'Only show image IDs', 'q')],
    load: async () => (await import('./commands/images.js')).historyCommand },
  { names: ['rmi', 'image rm', 'image remove'], usage: '[OPTIONS] IMAGE [IMAGE...]', desc: 'Remove one or more images', args: { min: 1 },
    flags: [b('force', 'Force removal of the image', 'f'), b('no-prune', 'Do not delete untagged parents'), { long: 'platform', type: 'strings', desc: 'Remove only the given platform variant.' }],
    load: async () => (await import('./commands/images.js')).rmiCommand },
  { names: ['import', 'image import'], usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', desc: 'Import the contents from a tarball to create a filesystem image', args: { min: 1, max: 2 },
    flags: [{ long: 'change', short: 'c', type: 'list', desc: 'Apply Dockerfile instruction to the created image' }, s('message', 'Set commit message for imported image', 'm'), s('platform', 'Set platform if server is multi-platform capable')],
    load: async () => (await import('./commands/images.js')).importCommand },
  { names: ['tag', 'image tag'], usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', desc: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', args: { min: 2, max: 2 },
    flags: [], load: async () => (await import('./commands/images.js')).tagCommand },
  { names: ['build', 'image build', 'builder build', 'buildx build'], usage: '[OPTIONS] PATH | URL | -', desc: 'Build an image from a Dockerfile', args: { min: 1, max: 1 },
    flags: [
      { long: 'tag', short: 't', type: 'list', desc: 'Name and optionally a tag in the "name:tag" format' },
      s('file', 'Name of the Dockerfile (default: "PATH/Dockerfile")', 'f'),
      { long: 'build-arg', type: 'list', desc: 'Set build-time variables' },
      { long: 'label', type: 'list', desc: 'Set metadata for an image' },
      b('no-cache', 'Do not use cache when building the image'), b('pull', 'Always attempt to pull a newer version of the image'),
      s('target', 'Set the target build stage to build'), s('network', 'Set the networking mode for the RUN instructions during build', undefined, 'default'),
      s('platform', 'Set platform if server is multi-platform capable'), b('quiet', 'Suppress the build output and print image ID on success', 'q'),
      s('progress', 'Set type of progress output ("auto", "plain", "tty", "quiet", "rawjson")', undefined, 'auto'),
      { long: 'add-host', type: 'list', desc: 'Add a custom host-to-IP mapping ("host:ip")' }, s('shm-size', 'Shared memory size for the build containers'),
      { long: 'cache-from', type: 'list', desc: 'Images to consider as cache sources' }, { long: 'rm', type: 'bool', desc: 'Remove intermediate containers after a successful build', def: 'true' },
      b('force-rm', 'Always remove intermediate containers'), s('iidfile', 'Write the image ID to the file'),
    ],
    load: async () => (await import('./commands/build.js')).buildCommand },
  { names: ['builder prune'], usage: '[OPTIONS]', desc: 'Remove build cache', args: NONE,
    flags: [b('all', 'Remove all unused build cache, not just dangling ones', 'a'), b('force', 'Do not prompt for confirmation', 'f'), filterFlag('Provide filter values (e.g. "until=24h")', undefined)],
    load: async () => (await import('./commands/build.js')).builderPruneCommand },
  { names: ['pull', 'image pull'], usage: '[OPTIONS] NAME[:TAG|@DIGEST]', desc: 'Download an image from a registry', args: { min: 1, max: 1 },
    flags: [b('all-tags', 'Download all tagged images in the repository', 'a'), { long: 'disable-content-trust', type: 'bool', desc: 'Skip image verification', def: 'true' },
      s('platform', 'Set platform if server is multi-platform capable'), b('quiet', 'Suppress verbose output', 'q')],
    load: async () => (await import('./commands/pull.js')).pullCommand },
  { names: ['save', 'image save'], usage: '[OPTIONS] IMAGE [IMAGE...]', desc: 'Save one or more images to a tar archive (streamed to STDOUT by default)', args: { min: 1 },
    flags: [s('output', 'Write to a file, instead of STDOUT', 'o'), { long: 'platform', type: 'strings', desc: 'Save only the given platform(s).' }],
    load: async () => (await import('./commands/image-archive.js')).saveCommand },
  { names: ['load', 'image load'], usage: '[OPTIONS]', desc: 'Load an image from a tar archive or STDIN', args: NONE,
    flags: [s('input', 'Read from tar archive file, instead of STDIN', 'i'), b('quiet', 'Suppress the load output', 'q'), { long: 'platform', type: 'strings', desc: 'Load only the given platform(s).' }],
    load: async () => (await import('./commands/image-archive.js')).loadCommand },
  { names: ['commit', 'container commit'], usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', desc: "Create a new image from a container's changes", args: { min: 1, max: 2 },
    flags: [s('author', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")', 'a'), { long: 'change', short: 'c', type: 'list', desc: 'Apply Dockerfile instruction to the created image' },
      s('message', 'Commit message', 'm'), { long: 'pause', short: 'p', type: 'bool', desc: 'Pause container during commit', def: 'true' }],
    load: async () => (await import('./commands/image-archive.js')).commitCommand },
  { names: ['push', 'image push'], usage: '[OPTIONS] NAME[:TAG]', desc: 'Upload an image to a registry', args: { min: 1, max: 1 },
    flags: [b('all-tags', 'Push all tags of an image to the repository', 'a'), { long: 'disable-content-trust', type: 'bool', desc: 'Skip image signing', def: 'true' },
      s('platform', 'Push a platform-specific manifest as a single-platform image to the registry.'), b('quiet', 'Suppress verbose output', 'q')],
    load: async () => (await import('./commands/push.js')).pushCommand },
  { names: ['registry serve'], usage: '[OPTIONS]', desc: "Run pier's own OCI registry (distribution spec v2) in the foreground", args: NONE,
    flags: [s('addr', 'Address to listen on', undefined, '"127.0.0.1:5000"'), s('root', 'Directory for the registry storage', undefined, '"/var/lib/pier-registry"'),
      s('htpasswd', 'htpasswd file: require basic auth with its users (bcrypt entries); with --auth token, the users who log in at /token'),
      s('realm', 'Basic auth realm; with --auth token, the token service name', undefined, '"pier-registry"'),
      s('auth', 'Authentication: "htpasswd" (basic, the default with --htpasswd) or "token" (Bearer tokens from the built-in /token endpoint)'),
      b('anonymous-pull', 'With --auth token, anonymous clients may pull (never push)'),
      s('auth-token-key', 'With --auth token, PEM private key (EC P-256 or RSA) that signs the tokens (default: a new key per start)'),
      s('tls-cert', 'Serve HTTPS with this certificate'), s('tls-key', 'Key for --tls-cert'), b('read-only', 'Refuse every write (push, delete)'),
      b('delete', 'Allow deleting manifests and blobs')],
    load: async () => (await import('./commands/registry.js')).registryServeCommand },
  { names: ['registry gc'], usage: '[OPTIONS]', desc: "Delete the blobs no manifest in pier's registry storage references", args: NONE,
    flags: [s('root', 'Directory for the registry storage', undefined, '"/var/lib/pier-registry"'), b('dry-run', 'Only print what would be deleted', 'd')],
    load: async () => (await import('./commands/registry.js')).registryGcCommand },
  { names: ['events', 'system events'], usage: '[OPTIONS]', desc: 'Get real time events from the server', args: NONE,
    flags: [filterFlag(), formatFlag(), s('since', 'Show all events created since timestamp'), s('until', 'Stream events until this timestamp')],
    load: async () => (await import('./commands/events.js')).eventsCommand },
  { names: ['version'], usage: '[OPTIONS]', desc: 'Show the Docker version information', args: NONE,
    flags: [formatFlag('f')], load: async () => (await import('./commands/version.js')).versionCommand },
  { names: ['info', 'system info'], usage: '[OPTIONS]', desc: 'Display system-wide information', args: NONE,
    flags: [formatFlag('f')], load: async () => (await import('./commands/info.js')).infoCommand },
  { names: ['system df'], usage: '[OPTIONS]', desc: 'Show docker disk usage', args: NONE,
    flags: [formatFlag(), b('verbose', 'Show detailed information on space usage', 'v')], load: async () => (await import('./commands/system-df.js')).systemDfCommand },
  { names: ['image prune'], usage: '[OPTIONS]', desc: 'Remove unused images', args: NONE,
    flags: [b('all', 'Remove all unused images, not just dangling ones', 'a'), filterFlag('Provide filter values (e.g. "until=<timestamp>")', undefined), b('force', 'Do not prompt for confirmation', 'f')],
    load: async () => (await import('./commands/prune.js')).imagePruneCommand },
  { names: ['system prune'], usage: '[OPTIONS]', desc: 'Remove unused data', args: NONE,
    flags: [b('all', 'Remove all unused images not just dangling ones', 'a'), filterFlag('Provide filter values (e.g. "label=<key>=<value>")', undefined),
      b('force', 'Do not prompt for confirmation', 'f'), b('volumes', 'Prune anonymous volumes')],
    load: async () => (await import('./commands/prune.js')).systemPruneCommand },
  { names: ['login'], usage: '[OPTIONS] [SERVER]', desc: 'Authenticate to a registry', args: { max: 1 },
    flags: [s('password', 'Password or Personal Access Token (PAT)', 'p'), b('password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin'), s('username', 'Username', 'u')],
    load: async () => (await import('./commands/misc.js')).loginCommand },
  { names: ['logout'], usage: '[SERVER]', desc: 'Log out from a registry', args: { max: 1 },
    flags: [], load: async () => (await import('./commands/misc.js')).logoutCommand },
];

/** Management groups: `pier container`, `pier image`, `pier system`. */
export const groups: Readonly<Record<string, string>> = {
  container: 'Manage containers',
  image: 'Manage images',
  system: 'Manage Docker',
  registry: "Run pier's own OCI registry",
};

/** Finds the command for argv's leading words; returns how many words it used. */
export function lookup(words: readonly string[]): { spec: CommandSpec; name: string; used: number } | undefined {
  const [w0, w1] = words;
  if (w0 === undefined) return undefined;
  if (w0 in groups && w1 !== undefined) {
    const name = `${w0} ${w1}`;
    const spec = commands.find((c) => c.names.includes(name));
    return spec ? { spec, name, used: 2 } : undefined;
  }
  const spec = commands.find((c) => c.names.includes(w0));
  return spec ? { spec, name: w0, used: 1 } : undefined;
}
