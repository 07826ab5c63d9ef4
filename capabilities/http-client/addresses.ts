/**
 * Addresses an actor may reach only when the operator names the host exactly: loopback,
 * private, link-local, unique-local, unspecified, shared (CGNAT), multicast and reserved
 * space, IPv4 and IPv6. Node's BlockList also matches an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) against the IPv4 rules, so that disguise needs no rule of its own.
 */
import { BlockList, isIP } from "node:net";

const IPV4: ReadonlyArray<[string, number]> = [
  ["0.0.0.0", 8], // "this network", incl. 0.0.0.0, which Linux connects to the local host
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, incl. cloud metadata at 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, incl. broadcast
];

const IPV6: ReadonlyArray<[string, number]> = [
  ["::", 96], // unspecified, loopback and the deprecated IPv4-compatible form (::127.0.0.1)
  ["fc00::", 7], // unique-local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // old site-local
  ["ff00::", 8], // multicast
];

const PRIVATE = new BlockList();
for (const [net, prefix] of IPV4) PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of IPV6) PRIVATE.addSubnet(net, prefix, "ipv6");

/** True for an address that is not on the public internet; `address` is a bare IP (no brackets). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** An IP literal without the brackets a URL puts around IPv6; undefined for a name. */
export function ipLiteral(hostname: string): string | undefined {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}
