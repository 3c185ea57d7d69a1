import { InvalidParameterError, NotFoundError, messageOf } from '../../errdefs/index.js';
import type { NetworkRecord, EndpointSettings, CreateNetworkRequest } from '../../networks/index.js';
import { parseFilters, validateFilters, matchAny, matchLabels, matchPruneLabels } from '../../pkg/filters/index.js';
import { qbool, readJson } from '../http.js';
import { Fields } from '../decode.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

/** GET /networks/{id}: the record plus its live endpoints. */
export function networkView(b: Backend, n: NetworkRecord, withContainers: boolean): Record<string, unknown> {
  const { pier: _pier, ...rest } = n;
  const containers: Record<string, unknown> = {};
  if (withContainers) {
    for (const ep of b.networks.endpointsOn(n.Id)) {
      containers[ep.ContainerID] = { Name: ep.ContainerName, EndpointID: ep.Id, MacAddress: ep.MacAddress, IPv4Address: ep.IPv4Address, IPv6Address: '' };
    }
  }
  return { ...rest, Containers: containers, IPAM: { ...n.IPAM, Options: n.IPAM.Options ?? {} } };
}

function untilFilter(v: string): number {
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000
    : /^\d+(\.\d+)?[smh]$/.test(v) ? Date.now() - Number(v.slice(0, -1)) * ({ s: 1e3, m: 6e4, h: 36e5 } as Record<string, number>)[v.slice(-1)]!
      : Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidParameterError(`invalid filter 'until=${v}'`);
  return ms;
}

function decodeCreate(body: unknown): CreateNetworkRequest {
  const f = new Fields(body, 'network.CreateRequest');
  const ipam = f.obj('IPAM', 'network.IPAM');
  const configs = (ipam.array('Config', '[]network.IPAMConfig') ?? []).map((c) => {
    const cf = new Fields(c, 'network.IPAMConfig');
    const out: NonNullable<NonNullable<CreateNetworkRequest['IPAM']>['Config']>[number] = {};
    if (cf.str('Subnet')) out.Subnet = cf.str('Subnet');
    if (cf.str('IPRange')) out.IPRange = cf.str('IPRange');
    if (cf.str('Gateway')) out.Gateway = cf.str('Gateway');
    const aux = cf.strMap('AuxiliaryAddresses');
    if (aux && Object.keys(aux).length) out.AuxiliaryAddresses = aux;
    return out;
  });
  return {
    Name: f.str('Name'), Driver: f.str('Driver'), Internal: f.bool('Internal'), Attachable: f.bool('Attachable'), Ingress: f.bool('Ingress'),
    EnableIPv6: f.bool('EnableIPv6'), ConfigOnly: f.bool('ConfigOnly'), Scope: f.str('Scope'),
    IPAM: { Driver: ipam.str('Driver'), Config: configs, Options: ipam.strMap('Options') },
    Options: f.strMap('Options'), Labels: f.strMap('Labels'),
  };
}

function decodeEndpoint(v: unknown): EndpointSettings {
  const f = new Fields(v, 'network.EndpointSettings');
  const ipam = f.obj('IPAMConfig', 'network.EndpointIPAMConfig');
  const out: EndpointSettings = { Aliases: f.strs('Aliases'), Links: f.strs('Links'), DriverOpts: f.strMap('DriverOpts') };
  const ip4 = ipam.str('IPv4Address');
  const ip6 = ipam.str('IPv6Address');
  if (ip6) throw new InvalidParameterError('pier: IPv6 addresses are not supported yet');
  if (ip4) out.IPAMConfig = { IPv4Address: ip4 };
  if (f.str('MacAddress')) out.MacAddress = f.str('MacAddress');
  return out;
}

export function networkRoutes(r: Router, b: Backend): void {
  r.get('/networks', (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
    const dangling = f.get('dangling');
    const list = b.networks.list().filter((n) => {
      if (!matchAny(f, 'driver', (v) => n.Driver === v)) return false;
      if (!matchAny(f, 'id', (v) => n.Id.startsWith(v))) return false;
      if (!matchAny(f, 'name', (v) => n.Name.includes(v))) return false;
      if (!matchAny(f, 'scope', (v) => v === n.Scope)) return false;
      if (!matchAny(f, 'type', (v) => {
        if (v !== 'custom' && v !== 'builtin') throw new InvalidParameterError(`invalid filter: 'type'='${v}'`);
        return (v === 'builtin') === b.networks.isPredefined(n);
      })) return false;
      if (!matchLabels(f, n.Labels)) return false;
      if (dangling) {
        const want = dangling.has('true') || dangling.has('1');
        const unused = !b.networks.isPredefined(n) && b.networks.endpointsOn(n.Id).length === 0 && !usedByContainer(b, n);
        if (want !== unused) return false;
      }
      return true;
    });
    return { json: list.map((n) => networkView(b, n, false)) };
  });

  r.get('/networks/{id}', (ctx) => {
    const n = b.networks.get(ctx.params['id'] ?? '');
    const scope = ctx.query.get('scope');
    if (scope && scope !== n.Scope) throw new NotFoundError(`network ${ctx.params['id'] ?? ''} not found`);
    return { json: networkView(b, n, true) };
  });

  r.post('/networks/create', async (ctx) => {
    const req = decodeCreate(await readJson(ctx.req));
    return { status: 201, json: await b.networks.create(req) };
  });

  r.delete('/networks/{id}', async (ctx) => {
    await b.networks.remove(ctx.params['id'] ?? '');
    return { status: 204 };
  });

  r.post('/networks/prune', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['until', 'label', 'label!']);
    const until = [...(f.get('until') ?? [])][0];
    const untilMs = until === undefined ? undefined : untilFilter(until);
    const deleted: string[] = [];
    for (const n of b.networks.list()) {
      if (b.networks.isPredefined(n) || b.networks.endpointsOn(n.Id).length || usedByContainer(b, n)) continue;
      if (untilMs !== undefined && Date.parse(n.Created) >= untilMs) continue;
      if (!matchPruneLabels(f, n.Labels)) continue;
      try {
        await b.networks.remove(n.Id);
        deleted.push(n.Name);
      } catch (err) {
        b.log.warn('network prune: could not remove', { network: n.Name, err: messageOf(err) });
      }
    }
    return { json: { NetworksDeleted: deleted } };
  });

  r.post('/networks/{id}/connect', async (ctx) => {
    const f = new Fields(await readJson(ctx.req), 'network.ConnectOptions');
    const container = f.str('Container');
    if (!container) throw new InvalidParameterError('container is required');
    await b.containers.connectNetwork(container, ctx.params['id'] ?? '', decodeEndpoint(f.raw('EndpointConfig')));
    return { status: 200 };
  });

  r.post('/networks/{id}/disconnect', async (ctx) => {
    const f = new Fields(await readJson(ctx.req), 'network.DisconnectOptions');
    const container = f.str('Container');
    if (!container) throw new InvalidParameterError('container is required');
    await b.containers.disconnectNetwork(container, ctx.params['id'] ?? '', f.bool('Force') || qbool(ctx.query, 'force'));
    return { status: 200 };
  });
}

/** A container (running or not) that names the network: docker keeps such networks on prune. */
function usedByContainer(b: Backend, n: NetworkRecord): boolean {
  return b.containers.list().some((c) => c.State.Running && Object.entries(c.NetworkingConfig.EndpointsConfig ?? {}).some(([k, s]) => k === n.Name || (s as EndpointSettings | null)?.NetworkID === n.Id));
}
