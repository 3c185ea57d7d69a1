import { createHash } from 'node:crypto';
import { NotFoundError, NotImplementedError } from '../../errdefs/index.js';
import { parseFilters, validateFilters } from '../../pkg/filters/index.js';
import type { Backend } from '../backend.js';
import type { Router } from '../router.js';

/**
 * /plugins: the legacy plugins pierd finds (sockets in /run/docker/plugins and under its exec
 * root, spec files in /etc/docker/plugins), shown as docker shows plugins. Managed plugins
 * (`docker plugin install` from a registry) are not supported yet: every call that would make,
 * change or remove one answers 501 with that, not a crash.
 */

export const MANAGED_NOT_SUPPORTED = 'managed plugins are not supported yet: pier uses the legacy plugins it finds in /run/docker/plugins and /etc/docker/plugins (see pier plugin ls)';

const CAPABILITY: Record<string, string> = {
  VolumeDriver: 'volumedriver', NetworkDriver: 'networkdriver', IpamDriver: 'ipamdriver', authz: 'authz', LogDriver: 'logdriver', MetricsCollector: 'metricscollector',
};

export interface FoundPlugin { name: string; where: string; implements: string[] | undefined }

export function pluginView(p: FoundPlugin): Record<string, unknown> {
  // docker's PluginInterfaceType marshals as one string: prefix.capability/version.
  const types = (p.implements ?? []).map((i) => `docker.${CAPABILITY[i] ?? i.toLowerCase()}/1.0`);
  return {
    Id: createHash('sha256').update(`pier-legacy-plugin:${p.name}:${p.where}`).digest('hex'),
    Name: p.name,
    Enabled: p.implements !== undefined,
    Settings: { Mounts: [], Env: [], Args: [], Devices: [] },
    PluginReference: '',
    Config: {
      DockerVersion: '', Description: p.implements !== undefined ? `legacy plugin at ${p.where}` : `legacy plugin at ${p.where} (not answering)`, Documentation: '',
      Interface: { Types: types, Socket: p.where.endsWith('.sock') ? p.where.slice(p.where.lastIndexOf('/') + 1) : '', ProtocolScheme: '' },
      Entrypoint: [], WorkDir: '', User: {}, Network: { Type: '' },
      Linux: { Capabilities: null, AllowAllDevices: false, Devices: null }, PropagatedMount: '', IpcHost: false, PidHost: false,
      Mounts: null, Env: [], Args: { Name: '', Description: '', Settable: null, Value: null }, rootfs: { type: 'layers', diff_ids: [] },
    },
  };
}

export function pluginRoutes(r: Router, b: Backend): void {
  r.get('/plugins', async (ctx) => {
    let list = await b.plugins.discover();
    // docker's filters: capability=, enable=
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['capability', 'enabled']);
    {
      const caps = [...(f.get('capability') ?? [])];
      const enabled = [...(f.get('enabled') ?? [])];
      if (caps.length) list = list.filter((p) => (p.implements ?? []).some((i) => caps.includes(CAPABILITY[i] ?? i.toLowerCase())));
      if (enabled.length) list = list.filter((p) => enabled.includes(String(p.implements !== undefined)));
    }
    return { json: list.map(pluginView) };
  });
  r.get('/plugins/{name*}/json', async (ctx) => {
    const name = (ctx.params['name'] ?? '').replace(/:latest$/, '');
    const hit = (await b.plugins.discover()).find((p) => p.name === name || pluginView(p)['Id'] === name);
    if (!hit) throw new NotFoundError(`plugin "${ctx.params['name'] ?? ''}" not found`);
    return { json: pluginView(hit) };
  });
  const managed = (): never => { throw new NotImplementedError(MANAGED_NOT_SUPPORTED); };
  r.get('/plugins/privileges', managed);
  r.post('/plugins/pull', managed);
  r.post('/plugins/create', managed);
  for (const op of ['enable', 'disable', 'push', 'upgrade', 'set']) r.post(`/plugins/{name*}/${op}`, managed);
  r.delete('/plugins/{name*}', managed);
}
