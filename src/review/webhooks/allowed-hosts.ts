import { BlockList, isIP } from 'node:net';
import { invalid } from '../../platform/errors.js';

/**
 * Where webhooks may be delivered. A webhook URL is chosen by any path administrator, and the
 * server posts to it from inside the operator's network: without a rule, a URL naming
 * `127.0.0.1:6379`, the cloud metadata address or an internal service turns webhooks into a way
 * to reach them (server-side request forgery). The rule is checked on the address actually
 * connected to (after DNS), so a name that resolves to an internal address is refused too.
 *
 * The setting (`MEGA_WEBHOOK_ALLOWED_HOSTS`) is a comma-separated list of:
 * - `external`: public unicast addresses (the default);
 * - `loopback`: 127.0.0.0/8 and ::1;
 * - `private`: RFC 1918, carrier-grade NAT, link-local (metadata services) and IPv6 unique-local;
 * - `*`: any address;
 * - an address or CIDR range (`10.1.2.0/24`, `fd00::/8`);
 * - a host name (`hooks.internal.example`), allowed whatever it resolves to.
 */
export class AllowedHosts {
  private readonly names = new Set<string>();
  private readonly ranges = new BlockList();
  private readonly categories = new Set<'external' | 'loopback' | 'private' | '*'>();

  constructor(readonly spec: string) {
    for (const raw of spec.split(',')) {
      const item = raw.trim().toLowerCase();
      if (item === '') continue;
      if (item === 'external' || item === 'loopback' || item === 'private' || item === '*') {
        this.categories.add(item);
      } else if (item.includes('/')) {
        addRange(this.ranges, item);
      } else if (isIP(item)) {
        this.ranges.addAddress(item, isIP(item) === 6 ? 'ipv6' : 'ipv4');
      } else if (/^[a-z0-9.-]+$/.test(item)) {
        this.names.add(item);
      } else {
        throw invalid('webhook_allowed_hosts_invalid', `"${raw.trim()}" is not a host, address or range`);
      }
    }
  }

  /** A host name listed by name: its addresses are not checked. */
  allowsName(hostname: string): boolean {
    return this.categories.has('*') || this.names.has(hostname.toLowerCase().replace(/\.$/, ''));
  }

  /** Whether an IP address (as connected to) may be posted to. */
  allowsAddress(address: string): boolean {
    if (this.categories.has('*')) return true;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.ranges.check(address, family)) return true;
    const kind = addressKind(address);
    if (kind === 'loopback') return this.categories.has('loopback');
    if (kind === 'private') return this.categories.has('private');
    if (kind === 'reserved') return false;
    return this.categories.has('external');
  }
}

export const DEFAULT_ALLOWED_HOSTS = 'external';

function addRange(list: BlockList, item: string): void {
  const [network = '', bits = ''] = item.split('/');
  const family = isIP(network);
  const prefix = Number(bits);
  if (family === 0 || !/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) {
    throw invalid('webhook_allowed_hosts_invalid', `"${item}" is not an address range`);
  }
  list.addSubnet(network, prefix, family === 6 ? 'ipv6' : 'ipv4');
}

/** Ranges that are never "external", by what they are. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/** Not routable as a destination at all: "this network", multicast, broadcast, documentation. */
const RESERVED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  RESERVED.addSubnet(network, prefix, 'ipv4');
RESERVED.addAddress('::', 'ipv6');
RESERVED.addSubnet('ff00::', 8, 'ipv6');
RESERVED.addSubnet('2001:db8::', 32, 'ipv6');

function addressKind(address: string): 'loopback' | 'private' | 'reserved' | 'external' {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(plain, family)) return 'loopback';
  if (PRIVATE.check(plain, family)) return 'private';
  if (RESERVED.check(plain, family)) return 'reserved';
  return 'external';
}
