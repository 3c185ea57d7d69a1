// `pier info`: the Client section, then GET /info printed in docker's layout.

import { messageOf } from '../../errdefs/index.js';
import { parseTemplate } from '../../pkg/gotemplate/index.js';
import { type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { PIER_VERSION } from '../main.js';
import { bytesSize } from '../units.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The server part of `docker info` (prettyPrintServerInfo). */
export function formatServerInfo(info: Obj): string {
  let o = '';
  const ln = (...parts: unknown[]): void => { o += `${parts.map(str).join(' ')}\n`; };
  const nonEmpty = (label: string, v: unknown): void => { if (str(v) !== '') ln(label, v); };
  ln(' Containers:', info['Containers'] ?? 0);
  ln('  Running:', info['ContainersRunning'] ?? 0);
  ln('  Paused:', info['ContainersPaused'] ?? 0);
  ln('  Stopped:', info['ContainersStopped'] ?? 0);
  ln(' Images:', info['Images'] ?? 0);
  nonEmpty(' Server Version:', info['ServerVersion']);
  nonEmpty(' Storage Driver:', info['Driver']);
  for (const pair of arr(info['DriverStatus'])) { const p = arr(pair); o += `  ${str(p[0])}: ${str(p[1])}\n`; }
  for (const pair of arr(info['SystemStatus'])) { const p = arr(pair); o += ` ${str(p[0])}: ${str(p[1])}\n`; }
  nonEmpty(' Logging Driver:', info['LoggingDriver']);
  nonEmpty(' Cgroup Driver:', info['CgroupDriver']);
  nonEmpty(' Cgroup Version:', info['CgroupVersion']);
  const plugins = obj(info['Plugins']);
  ln(' Plugins:');
  ln('  Volume:', arr(plugins['Volume']).map(str).join(' '));
  ln('  Network:', arr(plugins['Network']).map(str).join(' '));
  if (arr(plugins['Authorization']).length > 0) ln('  Authorization:', arr(plugins['Authorization']).map(str).join(' '));
  ln('  Log:', arr(plugins['Log']).map(str).join(' '));
  ln(' Swarm:', obj(info['Swarm'])['LocalNodeState'] ?? 'inactive');
  const runtimes = Object.keys(obj(info['Runtimes'])).sort();
  if (runtimes.length > 0) { ln(' Runtimes:', runtimes.join(' ')); ln(' Default Runtime:', info['DefaultRuntime']); }
  if (info['OSType'] === 'linux') {
    ln(' Init Binary:', info['InitBinary']);
    ln(' containerd version:', obj(info['ContainerdCommit'])['ID']);
    ln(' runc version:', obj(info['RuncCommit'])['ID']);
    ln(' init version:', obj(info['InitCommit'])['ID']);
    const sec = arr(info['SecurityOptions']).map(str);
    if (sec.length > 0) {
      ln(' Security Options:');
      for (const s of sec) {
        const kv = Object.fromEntries(s.split(',').map((x) => { const i = x.indexOf('='); return [x.slice(0, i), x.slice(i + 1)]; }));
        ln(`  ${kv['name'] ?? s}`);
        for (const [k, v] of Object.entries(kv)) if (k !== 'name') ln(`   ${k.charAt(0).toUpperCase()}${k.slice(1)}:`, v);
      }
    }
  }
  nonEmpty(' Kernel Version:', info['KernelVersion']);
  nonEmpty(' Operating System:', info['OperatingSystem']);
  nonEmpty(' OSType:', info['OSType']);
  nonEmpty(' Architecture:', info['Architecture']);
  ln(' CPUs:', info['NCPU'] ?? 0);
  ln(' Total Memory:', bytesSize(Number(info['MemTotal'] ?? 0)));
  nonEmpty(' Name:', info['Name']);
  nonEmpty(' ID:', info['ID']);
  ln(' Docker Root Dir:', info['DockerRootDir']);
  ln(' Debug Mode:', info['Debug'] ?? false);
  if (info['Debug'] === true) {
    ln('  File Descriptors:', info['NFd']); ln('  Goroutines:', info['NGoroutines']);
    ln('  System Time:', info['SystemTime']); ln('  EventsListeners:', info['NEventsListener']);
  }
  nonEmpty(' HTTP Proxy:', info['HttpProxy']);
  nonEmpty(' HTTPS Proxy:', info['HttpsProxy']);
  nonEmpty(' No Proxy:', info['NoProxy']);
  const labels = arr(info['Labels']).map(str);
  if (labels.length > 0) { ln(' Labels:'); for (const l of labels) ln(`  ${l}`); }
  ln(' Experimental:', info['ExperimentalBuild'] ?? false);
  const reg = obj(info['RegistryConfig']);
  const cidrs = arr(reg['InsecureRegistryCIDRs']).map(str);
  const index = Object.values(obj(reg['IndexConfigs'])).map(obj).filter((c) => c['Secure'] === false).map((c) => str(c['Name']));
  if (cidrs.length > 0 || index.length > 0) { ln(' Insecure Registries:'); for (const n of index) ln(`  ${n}`); for (const c of cidrs) ln(`  ${c}`); }
  const mirrors = arr(reg['Mirrors']).map(str);
  if (mirrors.length > 0) { ln(' Registry Mirrors:'); for (const m of mirrors) ln(`  ${m}`); }
  ln(' Live Restore Enabled:', info['LiveRestoreEnabled'] ?? false);
  ln();
  return o;
}

export const infoCommand: Handler = async (ctx) => {
  const format = ctx.flags.string('format') ?? '';
  if (format !== '') {
    let tpl;
    try { tpl = parseTemplate(format === 'json' ? '{{json .}}' : format); } catch (err) { throw new StatusError(64, messageOf(err)); }
    const info = await ctx.client().system.info();
    writeOut(`${tpl.execute({ ...info, ClientInfo: { Version: PIER_VERSION, Context: 'default', Debug: false } })}\n`);
    return 0;
  }
  writeOut(`Client:\n Version:    ${PIER_VERSION}\n Context:    default\n Debug Mode: false\n\nServer:\n`);
  let info;
  try {
    info = await ctx.client().system.info();
  } catch (err) {
    writeOut('\n');
    throw new StatusError(1, `ERROR: ${messageOf(err)}\nerrors pretty printing info`);
  }
  writeOut(formatServerInfo(info));
  for (const w of arr(info['Warnings']).map(str)) writeErr(`${w}\n`);
  return 0;
};
