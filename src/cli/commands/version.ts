// `pier version`: Client section, then the daemon's (docker's layout, tabwriter 20/1/1).

import { CLIENT_API_VERSION } from '../../client/index.js';
import { messageOf } from '../../errdefs/index.js';
import { parseTemplate, tabwrite } from '../../pkg/gotemplate/index.js';
import { type Handler, StatusError, writeOut } from '../context.js';
import { PIER_VERSION } from '../main.js';
import type { VersionResponse } from '../../client/index.js';

function ansic(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const day = d.toLocaleString('en-US', { weekday: 'short', timeZone: 'UTC' });
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export const versionCommand: Handler = async (ctx) => {
  const format = ctx.flags.string('format') ?? '';
  let tpl;
  if (format !== '') {
    try { tpl = parseTemplate(format === 'json' ? '{{json .}}' : format); } catch (err) { throw new StatusError(64, messageOf(err)); }
  }
  let server: VersionResponse | undefined;
  let failure: unknown;
  let apiVersion = CLIENT_API_VERSION;
  try {
    apiVersion = await ctx.client().transport.apiVersion();
    server = await ctx.client().system.version();
  } catch (err) { failure = err; }
  const client = {
    Version: PIER_VERSION, ApiVersion: apiVersion, DefaultAPIVersion: CLIENT_API_VERSION, GitCommit: ctx.env['PIER_BUILD'] || 'dev',
    GoVersion: process.version, Os: process.platform, Arch: process.arch === 'x64' ? 'amd64' : process.arch, BuildTime: '', Context: 'default',
  };
  if (tpl) {
    writeOut(`${tpl.execute({ Client: { ...client, APIVersion: apiVersion }, Server: server ?? null })}\n`);
  } else {
    let t = 'Client:\n';
    t += ` Version:\t${client.Version}\n API version:\t${apiVersion}${apiVersion !== CLIENT_API_VERSION ? ` (downgraded from ${CLIENT_API_VERSION})` : ''}\n`;
    t += ` Go version:\t${client.GoVersion}\n Git commit:\t${client.GitCommit}\n Built:\t${client.BuildTime}\n OS/Arch:\t${client.Os}/${client.Arch}\n Context:\t${client.Context}\n`;
    if (server) {
      t += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`;
      const comps = [...(server.Components ?? [])];
      if (!comps.some((c) => c.Name === 'Engine')) {
        comps.push({ Name: 'Engine', Version: server.Version, Details: { ApiVersion: server.ApiVersion, MinAPIVersion: server.MinAPIVersion ?? '', GitCommit: server.GitCommit, GoVersion: server.GoVersion, Os: server.Os, Arch: server.Arch, BuildTime: server.BuildTime ?? '', Experimental: String(server.Experimental ?? false) } });
      }
      for (const c of comps) {
        const d = c.Details ?? {};
        t += ` ${c.Name}:\n`;
        if (c.Name === 'Engine') {
          t += `  Version:\t${c.Version}\n  API version:\t${d['ApiVersion'] ?? ''} (minimum version ${d['MinAPIVersion'] ?? ''})\n  Go version:\t${d['GoVersion'] ?? ''}\n`;
          t += `  Git commit:\t${d['GitCommit'] ?? ''}\n  Built:\t${ansic(d['BuildTime'] ?? '')}\n  OS/Arch:\t${d['Os'] ?? ''}/${d['Arch'] ?? ''}\n  Experimental:\t${d['Experimental'] ?? ''}\n`;
        } else {
          t += `  Version:\t${c.Version}\n`;
          for (const k of Object.keys(d).sort()) t += `  ${k}:\t${d[k] ?? ''}\n`;
        }
      }
    }
    writeOut(tabwrite(t, { minwidth: 20, tabwidth: 1, padding: 1, padchar: ' ' }));
  }
  if (failure !== undefined) throw failure;
};
