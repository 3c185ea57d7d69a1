import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';

const HOSTS_BASE = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

function readHost(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** The host's resolv.conf as docker derives it for a container (loopback nameservers dropped). */
export function containerResolvConf(o: { dns?: string[] | null; dnsSearch?: string[] | null; dnsOptions?: string[] | null; hostNetwork: boolean; embeddedDns?: string }): string {
  let text = readHost('/run/systemd/resolve/resolv.conf') || readHost('/etc/resolv.conf');
  if (o.hostNetwork && !o.dns?.length && !o.dnsSearch?.length && !o.dnsOptions?.length) return text;
  const lines = text.split('\n');
  let servers = lines.filter((l) => /^\s*nameserver\s+/.test(l)).map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter((s) => s && !s.startsWith('127.') && s !== '::1');
  let search = lines.filter((l) => /^\s*(search|domain)\s+/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  let options = lines.filter((l) => /^\s*options\s+/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  if (o.dns?.length) servers = o.dns;
  if (o.dnsSearch?.length) search = o.dnsSearch.filter((s) => s !== '.');
  if (o.dnsOptions?.length) options = o.dnsOptions;
  if (o.embeddedDns) {
    // The network's DNS server answers container names and forwards the rest to the
    // --dns servers, or the host's resolvers: only it is named, as docker does.
    servers = ['127.0.0.11'];
    if (!options.some((x) => x.startsWith('ndots:'))) options = [...options, 'ndots:0'];
  }
  if (servers.length === 0) servers = ['8.8.8.8', '8.8.4.4'];
  text = '';
  if (search.length) text += `search ${search.join(' ')}\n`;
  for (const s of servers) text += `nameserver ${s}\n`;
  if (options.length) text += `options ${options.join(' ')}\n`;
  return text;
}

export interface EtcFilesInput {
  dir: string;
  hostname: string;
  domainname: string;
  hostNetwork: boolean;
  extraHosts: string[] | null;
  dns: string[] | null;
  dnsSearch: string[] | null;
  dnsOptions: string[] | null;
  /** `<ip>` lines for the container's own addresses. */
  addresses: string[];
  /** The embedded DNS server of the container's user-defined network. */
  embeddedDns?: string;
  /** What `host-gateway` in --add-host stands for (the default bridge's gateway). */
  hostGateway?: string;
}

/** Writes hostname, hosts and resolv.conf for a container; returns their paths. */
export async function writeEtcFiles(i: EtcFilesInput): Promise<{ hostname: string; hosts: string; resolvConf: string }> {
  const paths = { hostname: join(i.dir, 'hostname'), hosts: join(i.dir, 'hosts'), resolvConf: join(i.dir, 'resolv.conf') };
  let hosts: string;
  if (i.hostNetwork) {
    hosts = readHost('/etc/hosts');
  } else {
    const lines = [...HOSTS_BASE];
    const names = i.domainname ? `${i.hostname}.${i.domainname} ${i.hostname}` : i.hostname;
    for (const a of i.addresses) lines.push(`${a}\t${names}`);
    hosts = lines.join('\n') + '\n';
  }
  for (const h of i.extraHosts ?? []) {
    const idx = h.indexOf(':');
    const name = idx >= 0 ? h.slice(0, idx) : h;
    let ip = idx >= 0 ? h.slice(idx + 1) : '';
    if (ip === 'host-gateway') ip = i.hostGateway ?? '';
    hosts += `${ip}\t${name}\n`;
  }
  await Promise.all([
    writeFile(paths.hostname, (i.hostNetwork ? hostHostname() : i.hostname) + '\n'),
    writeFile(paths.hosts, hosts),
    writeFile(paths.resolvConf, containerResolvConf({ dns: i.dns, dnsSearch: i.dnsSearch, dnsOptions: i.dnsOptions, hostNetwork: i.hostNetwork, ...(i.embeddedDns ? { embeddedDns: i.embeddedDns } : {}) })),
  ]);
  return paths;
}
