// docker's remote network driver protocol (NetworkDriver.*) against a plugin this test runs: a
// small server on a unix socket in the daemon's plugin directory that records every call and,
// like a real driver, makes a bridge per network (pnb…) and a veth pair per endpoint (pnv…),
// handing one end to pierd at Join. Two containers on its network reach each other; the exact
// call sequence is asserted against docker's; everything the plugin made is gone afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, e2eSkip } from '../../harness/clients.js';
import { linkNames, randTag, randomSubnet24 } from './net-helpers.js';

const skip = e2eSkip('network plugin e2e', { needsDocker: true });
let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });
const { dk, ok } = dockerCli(() => d);

/**
 * A legacy plugin on `<exec-root>/plugins/<name>.sock`: `handle` answers each call with its JSON
 * (undefined: HTTP 404, as for a method the plugin does not have; a throw: `{"Err": …}`).
 */
async function servePlugin(name: string, handle: (method: string, body: Record<string, unknown>) => unknown): Promise<Server> {
  const dir = join(d.root, 'exec', 'plugins');
  mkdirSync(dir, { recursive: true });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      let out: unknown;
      try {
        out = handle((req.url ?? '').replace(/^\//, ''), (body ? JSON.parse(body) : {}) as Record<string, unknown>);
      } catch (err) {
        out = { Err: err instanceof Error ? err.message : String(err) };
      }
      if (out === undefined) { res.writeHead(404); res.end('{}'); return; }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1+json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, `${name}.sock`), resolve));
  return server;
}

interface NetPlugin { calls: string[]; tag: string; close(): Promise<void> }

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'ignore' }); };
const ipQuiet = (...args: string[]): void => { try { ip(...args); } catch { /* already gone */ } };

async function startNetPlugin(name: string): Promise<NetPlugin> {
  const tag = randTag();
  const calls: string[] = [];
  let n = 0;
  const bridges = new Map<string, string>();
  const veths = new Map<string, string>();
  const server = await servePlugin(name, (method, b) => {
    calls.push(method);
    switch (method) {
      case 'Plugin.Activate': return { Implements: ['NetworkDriver'] };
      case 'NetworkDriver.GetCapabilities': return { Scope: 'local' };
      case 'NetworkDriver.CreateNetwork': {
        const generic = (b['Options'] as Record<string, Record<string, string>>)['com.docker.network.generic'] ?? {};
        if (generic['refuse']) throw new Error('refused by the test plugin');
        const v4 = (b['IPv4Data'] as { Pool: string; Gateway: string }[])[0];
        const br = `pnb${tag}${bridges.size}`;
        ip('link', 'add', br, 'type', 'bridge');
        ip('addr', 'add', v4?.Gateway ?? '', 'dev', br);
        ip('link', 'set', br, 'up');
        bridges.set(String(b['NetworkID']), br);
        return {};
      }
      case 'NetworkDriver.CreateEndpoint': {
        const i = b['Interface'] as { Address: string; MacAddress: string };
        assert.match(i.Address, /^\d+\.\d+\.\d+\.\d+\/24$/, 'pierd hands the driver the address its IPAM chose');
        return { Interface: {} };
      }
      case 'NetworkDriver.Join': {
        const host = `pnv${tag}${n}`;
        const peer = `pnv${tag}${n}p`;
        n++;
        ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
        ip('link', 'set', host, 'master', bridges.get(String(b['NetworkID'])) ?? '', 'up');
        veths.set(String(b['EndpointID']), host);
        assert.match(String(b['SandboxKey']), /^\/proc\/\d+\/ns\/net$/);
        return { InterfaceName: { SrcName: peer, DstPrefix: 'eth' } };
      }
      case 'NetworkDriver.ProgramExternalConnectivity': case 'NetworkDriver.RevokeExternalConnectivity': return {};
      case 'NetworkDriver.Leave': return {};
      case 'NetworkDriver.DeleteEndpoint': {
        const v = veths.get(String(b['EndpointID']));
        if (v) ipQuiet('link', 'del', v);
        veths.delete(String(b['EndpointID']));
        return {};
      }
      case 'NetworkDriver.DeleteNetwork': {
        const br = bridges.get(String(b['NetworkID']));
        if (br) ipQuiet('link', 'del', br);
        bridges.delete(String(b['NetworkID']));
        return {};
      }
      default: return undefined;
    }
  });
  return {
    calls, tag,
    close: () => new Promise<void>((resolve) => {
      for (const v of veths.values()) ipQuiet('link', 'del', v);
      for (const br of bridges.values()) ipQuiet('link', 'del', br);
      server.close(() => resolve());
    }),
  };
}

test('a remote network driver: create, two containers that reach each other, rm — docker\'s calls in order, nothing left', { skip }, async (t) => {
  const p = await startNetPlugin('pe2enet');
  t.after(async () => { await dk('rm', '-f', 'pn-a'); await dk('network', 'rm', 'pn-net'); await p.close(); });
  const { prefix, subnet } = await randomSubnet24();
  await ok('network', 'create', '-d', 'pe2enet', '--subnet', subnet, 'pn-net');
  assert.equal((await ok('network', 'ls', '--filter', 'name=pn-net', '--format', '{{.Driver}}')).trim(), 'pe2enet');
  await ok('run', '-d', '--name', 'pn-a', '--network', 'pn-net', '--ip', `${prefix}.10`, 'busybox', 'sleep', '600');
  assert.equal((await ok('exec', 'pn-a', 'ip', '-4', '-o', 'addr', 'show', 'eth0')).match(/inet (\S+)/)?.[1], `${prefix}.10/24`);
  // A second container on it reaches the first through the driver's bridge; its gateway is the bridge's.
  const ping = await dk('run', '--rm', '--network', 'pn-net', 'busybox', 'sh', '-c', `ping -c1 -W2 ${prefix}.10 >/dev/null && ip route | grep default`);
  assert.equal(ping.code, 0, ping.stderr);
  assert.match(ping.stdout, new RegExp(`default via ${prefix.replace(/\./g, '\\.')}\\.1 dev eth0`));
  await ok('rm', '-f', 'pn-a');
  await ok('network', 'rm', 'pn-net');
  const perContainer = ['NetworkDriver.CreateEndpoint', 'NetworkDriver.Join', 'NetworkDriver.ProgramExternalConnectivity'];
  const leave = ['NetworkDriver.RevokeExternalConnectivity', 'NetworkDriver.Leave', 'NetworkDriver.DeleteEndpoint'];
  assert.deepEqual(p.calls, [
    'Plugin.Activate', 'NetworkDriver.GetCapabilities', 'NetworkDriver.CreateNetwork',
    ...perContainer, ...perContainer, ...leave, ...leave,
    'NetworkDriver.DeleteNetwork',
  ]);
  assert.deepEqual((await linkNames()).filter((l) => l.includes(p.tag)), [], 'the driver\'s bridge and veths are gone');
});

test('a network driver that refuses: the network is not made; an unknown driver is docker\'s "plugin not found"', { skip }, async () => {
  const missing = await dk('network', 'create', '-d', 'pe2e-nosuchnet', 'pn-missing');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /plugin "pe2e-nosuchnet" not found/);
  const p = await startNetPlugin('pe2enet2');
  try {
    const bad = await dk('network', 'create', '-d', 'pe2enet2', '-o', 'refuse=yes', 'pn-bad');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /refused by the test plugin/);
    assert.ok(p.calls.includes('NetworkDriver.CreateNetwork'));
    assert.equal((await ok('network', 'ls', '-q', '--filter', 'name=pn-bad')).trim(), '');
  } finally {
    await p.close();
  }
});

interface IpamPlugin { calls: string[]; close(): Promise<void> }

async function startIpamPlugin(name: string, prefix: string): Promise<IpamPlugin> {
  const calls: string[] = [];
  let next = 50;
  const answer = (method: string, b: Record<string, unknown>): unknown => {
    switch (method) {
      case 'Plugin.Activate': return { Implements: ['IpamDriver'] };
      case 'IpamDriver.GetCapabilities': return { RequiresMACAddress: false };
      case 'IpamDriver.GetDefaultAddressSpaces': return { LocalDefaultAddressSpace: 'pe2e-local', GlobalDefaultAddressSpace: 'pe2e-global' };
      case 'IpamDriver.RequestPool': return { PoolID: 'pe2e-pool-1', Pool: `${prefix}.0/24`, Data: {} };
      case 'IpamDriver.RequestAddress': {
        const gw = (b['Options'] as Record<string, string> | undefined)?.['RequestAddressType'] === 'com.docker.network.gateway';
        const asked = String(b['Address'] ?? '');
        return { Address: gw ? `${prefix}.1/24` : asked ? `${asked}/24` : `${prefix}.${next++}/24`, Data: {} };
      }
      case 'IpamDriver.ReleaseAddress': case 'IpamDriver.ReleasePool': return {};
      default: return undefined;
    }
  };
  const server = await servePlugin(name, (method, b) => {
    const out = answer(method, b);
    if (out === undefined) return undefined;
    const detail = method === 'IpamDriver.RequestAddress' ? ` ${(out as { Address: string }).Address}` : method === 'IpamDriver.ReleaseAddress' ? ` ${String(b['Address'])}` : method === 'IpamDriver.RequestPool' ? ` ${String(b['AddressSpace'])}` : '';
    calls.push(`${method}${detail}`);
    return out;
  });
  return { calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('a remote IPAM driver: the network\'s pool and gateway and each container\'s address come from it, and go back to it', { skip }, async (t) => {
  const { prefix } = await randomSubnet24();
  const p = await startIpamPlugin('pe2eipam', prefix);
  t.after(async () => { await dk('rm', '-f', 'pi-a'); await dk('network', 'rm', 'pi-net'); await p.close(); });
  await ok('network', 'create', '--ipam-driver', 'pe2eipam', 'pi-net');
  const ipam = JSON.parse(await ok('network', 'inspect', '-f', '{{json .IPAM}}', 'pi-net')) as { Driver: string; Config: { Subnet: string; Gateway: string }[] };
  assert.equal(ipam.Driver, 'pe2eipam');
  assert.deepEqual(ipam.Config.map((c) => [c.Subnet, c.Gateway]), [[`${prefix}.0/24`, `${prefix}.1`]]);
  await ok('run', '-d', '--name', 'pi-a', '--network', 'pi-net', 'busybox', 'sleep', '600');
  assert.equal(await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "pi-net").IPAddress}}', 'pi-a').then((x) => x.trim()), `${prefix}.50`);
  const second = await ok('run', '--rm', '--network', 'pi-net', 'busybox', 'sh', '-c', `ip -4 -o addr show eth0 && ping -c1 -W2 ${prefix}.50 >/dev/null && echo reached`);
  assert.match(second, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\.51/24`));
  assert.match(second, /reached/);
  await ok('rm', '-f', 'pi-a');
  await ok('network', 'rm', 'pi-net');
  assert.deepEqual(p.calls, [
    'Plugin.Activate', 'IpamDriver.GetCapabilities', 'IpamDriver.GetDefaultAddressSpaces', 'IpamDriver.RequestPool pe2e-local',
    `IpamDriver.RequestAddress ${prefix}.1/24`,
    `IpamDriver.RequestAddress ${prefix}.50/24`, `IpamDriver.RequestAddress ${prefix}.51/24`,
    `IpamDriver.ReleaseAddress ${prefix}.51`, `IpamDriver.ReleaseAddress ${prefix}.50`,
    `IpamDriver.ReleaseAddress ${prefix}.1`, 'IpamDriver.ReleasePool',
  ]);
});
