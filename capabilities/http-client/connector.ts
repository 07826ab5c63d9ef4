/**
 * The connect hook of a binding's undici Agent: the private-address rule is checked HERE, on
 * the addresses the connection will actually use, not on the URL beforehand. A check done
 * before the request and a second DNS lookup by the socket would let a name answer with a
 * public address to the check and 127.0.0.1 to the connect (DNS rebinding); resolving once
 * and connecting to the very address checked leaves no such gap. IP literals are checked the
 * same way (they skip DNS), and every redirect hop's new connection passes through here too.
 */
import { lookup } from "node:dns/promises";
import { buildConnector } from "undici";
import { WactorError } from "../../src/errors.js";
import { reasonOf } from "../shared.js";
import { ipLiteral, isPrivateAddress } from "./addresses.js";
import { exactGrant, type HttpClientConfig } from "./policy.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name -> addresses; the system resolver by default (tests point names at loopback). */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The hostname as a URL writes it (IPv6 in brackets), which is how the allow rules hold it. */
const urlHostname = (hostname: string): string => (hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname);

/** The address to connect to for `hostname`:`port`, or a catalog error saying why there is none. */
export async function checkedAddress(config: HttpClientConfig, resolve: Resolve, hostname: string, port: number): Promise<string> {
  const shown = urlHostname(hostname);
  const literal = ipLiteral(shown);
  let addresses: string[];
  if (literal !== undefined) addresses = [literal];
  else {
    try {
      addresses = (await resolve(hostname)).map((a) => a.address);
    } catch (err) {
      throw new WactorError("WACTOR_ERR_HTTP_FAILED", `cannot resolve host '${hostname}': ${reasonOf(err)}`, { cause: err });
    }
    if (addresses.length === 0) throw new WactorError("WACTOR_ERR_HTTP_FAILED", `host '${hostname}' resolves to no address`);
  }
  if (exactGrant(config, shown, port)) return addresses[0]!;
  // One private answer refuses the name: it is not reachable "partly".
  const inside = addresses.find((address) => isPrivateAddress(address));
  if (inside !== undefined) {
    const what =
      literal !== undefined
        ? `'${shown}' is a loopback, private or link-local address`
        : `host '${hostname}' resolves to ${inside}, a loopback, private or link-local address`;
    throw new WactorError(
      "WACTOR_ERR_HTTP_HOST_NOT_ALLOWED",
      `${what}; only an exact ALLOWED_HOSTS entry ('${shown}' or '${shown}:${port}') allows that, a wildcard never does (ALLOWED_HOSTS is '${config.allowedHosts}')`,
    );
  }
  return addresses[0]!;
}

/** An undici connector that connects only to addresses `checkedAddress` allows. */
export function guardedConnector(config: HttpClientConfig, resolve: Resolve): buildConnector.connector {
  const connect = buildConnector({ timeout: config.timeoutMs });
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === "https:" ? 443 : 80);
    checkedAddress(config, resolve, options.hostname, port).then(
      // `host` keeps the name, so TLS still sends it as SNI and verifies the certificate against it.
      (address) => connect({ ...options, hostname: address }, callback),
      (err: Error) => callback(err, null),
    );
  };
}
