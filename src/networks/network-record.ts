import type { IpamConfig } from './ipam.js';

export type DriverName = 'bridge' | 'host' | 'null' | 'macvlan' | 'overlay';

/** A network as stored (docker's network resource minus the live Containers map). */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local' | 'swarm' | 'global';
  /** A built-in driver, or the name of the remote driver plugin (`pier.remote`). */
  Driver: DriverName | (string & {});
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  pier: {
    /** The host bridge (bridge driver) or parent link (macvlan). */
    ifname?: string;
    /** Predefined networks (bridge, host, none) cannot be removed. */
    predefined?: boolean;
    /** Overlay: the VXLAN ID and device. */
    vni?: number;
    vxlan?: string;
    /** Driven by a remote network driver plugin (named by Driver). */
    remote?: boolean;
    /** The pools a remote IPAM plugin (IPAM.Driver) gave it, given back at removal. */
    ipamPools?: { poolId: string; subnet: string; gateway: string; aux: string[] }[];
  };
}

/** A container's attachment to a network while it runs. */
export interface EndpointRecord {
  Id: string;
  NetworkID: string;
  ContainerID: string;
  /** The container's name without the slash, for DNS. */
  ContainerName: string;
  /** "172.18.0.2/16" or '' on host/none. */
  IPv4Address: string;
  MacAddress: string;
  Gateway: string;
  Aliases: string[];
  DNSNames: string[];
  /** The interface inside the container (eth0, eth1 …). */
  ifname: string;
  /** The host-side veth, when there is one. */
  hostIf?: string;
  /** Static address asked for with --ip. */
  staticIP?: string;
  /** The container's --dns servers: its embedded DNS forwards there instead of the host's resolvers. */
  dns?: string[];
  /** The address a remote IPAM plugin handed out for it, given back at its end. */
  remoteIpam?: { poolId: string; address: string };
  /** On a remote driver's network: Leave and DeleteEndpoint go to the plugin at its end. */
  remote?: boolean;
  /** The container's published ports, on its first bridge endpoint. */
  ports?: PortMapping[];
}

/** One published port while its container runs. */
export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
  containerPort: number;
  containerIp: string;
}

/** Endpoint settings as the API carries them (NetworkingConfig.EndpointsConfig values). */
export type { EndpointSettings } from '../pkg/engine/index.js';
