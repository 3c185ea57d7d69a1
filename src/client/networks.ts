// /networks/* endpoints, and the network shapes they carry (Engine API 1.50).

import sjson from 'secure-json-parse';
import { InvalidParameterError } from '../errdefs/index.js';
import type { EndpointSettings } from '../pkg/engine/index.js';
import { type Transport, readText } from './transport.js';

/** No network's JSON is near this; a larger answer is refused. */
const JSON_LIMIT = 64 * 1024 * 1024;

/** One IPAM pool: a subnet, the range containers get addresses from, its gateway and reserved addresses. */
export interface NetworkIpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface NetworkIpam {
  Driver: string;
  Options: Record<string, string> | null;
  Config: NetworkIpamConfig[] | null;
}

/** An endpoint as GET /networks/{id} lists it under `Containers`. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks and GET /networks/{id} (docker's network.Inspect; the list leaves `Containers` empty). */
export interface NetworkSummary {
  Name: string;
  Id: string;
  /** RFC 3339 with nanoseconds, as the daemon wrote it. */
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: NetworkIpam;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainer> | null;
  Options: Record<string, string> | null;
  Labels: Record<string, string> | null;
  Peers?: { Name: string; IP: string }[] | null;
  Services?: Record<string, unknown>;
  [k: string]: unknown;
}

export type NetworkInspect = NetworkSummary;

/** POST /networks/create: docker's network.CreateRequest as its client marshals it. */
export interface NetworkCreateRequest {
  Driver: string;
  Scope: string;
  /** Sent only when the user set it (docker's *bool, omitempty). */
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM: NetworkIpam | null;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  ConfigFrom: { Network: string } | null;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Name: string;
}

export interface NetworkCreateResponse { Id: string; Warning?: string }

export interface NetworkPruneReport { NetworksDeleted: string[] | null }

/** docker's trimID: surrounding blanks go; nothing left is an InvalidParameterError, sent nowhere. */
function trimId(kind: 'network' | 'container', id: string): string {
  const t = id.trim();
  if (t === '') throw new InvalidParameterError(`invalid ${kind} name or ID: value is empty`);
  return t;
}

const p = (id: string): string => `/networks/${encodeURIComponent(trimId('network', id))}`;

export class NetworksClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  /** GET /networks; `filters` is the encoded filter document. */
  list(opts: { filters?: string } = {}): Promise<NetworkSummary[]> {
    return this.#t.json('GET', '/networks', { query: { filters: opts.filters || undefined } });
  }

  /** GET /networks/{id}: `verbose` adds swarm service details; NotFoundError when no network matches. */
  async inspect(id: string, opts: { verbose?: boolean; scope?: string } = {}): Promise<NetworkInspect> {
    return this.#t.json('GET', p(id), { query: { verbose: opts.verbose ? 'true' : undefined, scope: opts.scope || undefined } });
  }

  /**
   * GET /networks/{id}, with the body as the daemon wrote it: docker's inspect
   * prints those bytes (re-indented), not a re-encoding.
   */
  async inspectRaw(id: string, opts: { verbose?: boolean; scope?: string } = {}): Promise<{ network: NetworkInspect; raw: string }> {
    const res = await this.#t.request('GET', p(id), { query: { verbose: opts.verbose ? 'true' : undefined, scope: opts.scope || undefined } });
    const raw = await readText(res.body, JSON_LIMIT);
    return { network: sjson.parse(raw, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as NetworkInspect, raw };
  }

  /** POST /networks/create → 201 {Id, Warning}. */
  create(body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.#t.json('POST', '/networks/create', { json: body });
  }

  /** DELETE /networks/{id}. */
  async remove(id: string): Promise<void> {
    await this.#t.call('DELETE', p(id));
  }

  /** POST /networks/prune: the names of the networks removed. */
  prune(filters?: string): Promise<NetworkPruneReport> {
    return this.#t.json('POST', '/networks/prune', { query: { filters: filters || undefined } });
  }

  /** POST /networks/{id}/connect. */
  async connect(id: string, container: string, endpoint: EndpointSettings): Promise<void> {
    const path = `${p(id)}/connect`;
    await this.#t.call('POST', path, { json: { Container: trimId('container', container), EndpointConfig: endpoint } });
  }

  /** POST /networks/{id}/disconnect. */
  async disconnect(id: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    const path = `${p(id)}/disconnect`;
    await this.#t.call('POST', path, { json: { Container: trimId('container', container), Force: opts.force === true } });
  }
}
