import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { BadUserInputError } from '../../core/errors/app-error';

/** What webhook targets may be (WebhookConfig): http:// outside production, private addresses only when allowed. */
export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** Addresses a webhook must never reach unless WEBHOOK_ALLOW_PRIVATE: the host itself, its networks, the cloud's. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata at 169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** `::ffff:a.b.c.d` (or its hex form) is the IPv4 address a.b.c.d: judged as that. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return { address: dotted[1], family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

export function isPrivateAddress(address: string): boolean {
  const { address: plain, family } = unmapped(address.replace(/^\[|\]$/g, ''));
  return PRIVATE.check(plain, family);
}

/** Why a URL cannot be a webhook target, as a BAD_USER_INPUT with a `reason`; the parsed URL otherwise. */
export function checkTargetUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadUserInputError('The webhook URL is not an absolute URL', { reason: 'INVALID_URL' });
  }
  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new BadUserInputError(`The webhook URL must use ${policy.allowHttp ? 'http(s)' : 'https'}://`, {
      reason: 'INSECURE_URL',
    });
  if (url.username || url.password)
    throw new BadUserInputError('The webhook URL must not carry credentials', { reason: 'INVALID_URL' });
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (
    !policy.allowPrivate &&
    (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host)))
  )
    throw privateTarget(host);
  return url;
}

export const privateTarget = (host: string) =>
  new BadUserInputError(`The webhook URL points at a private or local address (${host})`, {
    reason: 'PRIVATE_ADDRESS',
  });

/**
 * The DNS lookup webhook sockets connect with: it resolves, refuses when any address is private, and hands the
 * socket the address it checked, so a name that resolves differently a moment later (DNS rebinding) cannot slip by.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = !policy.allowPrivate && addresses.find((a) => isPrivateAddress(a.address));
      if (refused || !addresses.length) {
        const reason = privateTarget(`${hostname} → ${refused ? refused.address : 'no address'}`);
        return callback(reason as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** `checkTargetUrl`, and the host resolved now: a name that resolves to a private address is refused at once. */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<URL> {
  const url = checkTargetUrl(raw, policy);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.allowPrivate || isIP(host)) return url;
  const addresses = await lookupAll(host).catch(() => {
    throw new BadUserInputError(`The webhook host ${host} does not resolve`, { reason: 'UNRESOLVABLE_HOST' });
  });
  const refused = addresses.find((a) => isPrivateAddress(a.address));
  if (refused) throw privateTarget(`${host} → ${refused.address}`);
  return url;
}

const lookupAll = (host: string) =>
  new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
