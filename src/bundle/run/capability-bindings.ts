/**
 * Which capabilities a bundle's function is bound to, and with what values. Only capabilities
 * a function's signed claims name are bound (the host refuses a binding for an unclaimed one);
 * a call to any other capability is denied at the call and counted.
 *
 * - `wascc:keyvalue`: one embedded store per bundle (`SHARED=<identifier>`), so what one step
 *   sets a later step or another handler reads, as Atmo's cache does; or a Redis URL.
 * - `wascc:logging`: the host's log, tagged with the function.
 * - `wascc:http_client`: only the hosts the operator allowed (none by default).
 */
import { CAP_HTTP_CLIENT, CAP_KEYVALUE, CAP_LOGGING } from "../../codec/mod.js";

export interface BundleCapabilityOptions {
  /** A Redis URL for the bundle's cache instead of the embedded store. */
  cacheUrl?: string;
  /** Prefix for every cache key in Redis (keeps two bundles sharing one Redis apart). */
  cacheKeyPrefix?: string;
  /** Hosts the functions may reach through `wascc:http_client` (`host`, `host:port`, `*.domain`). */
  allowedHosts?: readonly string[];
}

/** The capabilities a bundle binds for its functions, in the order they are bound. */
export const BUNDLE_CAPABILITIES: readonly string[] = [CAP_KEYVALUE, CAP_LOGGING, CAP_HTTP_CLIENT];

/** The `default` binding's values for one capability of a function in bundle `identifier`. */
export function bindingValues(capabilityId: string, identifier: string, options: BundleCapabilityOptions): Record<string, string> {
  switch (capabilityId) {
    case CAP_KEYVALUE:
      if (options.cacheUrl) return { URL: options.cacheUrl, ...(options.cacheKeyPrefix !== undefined && { KEY_PREFIX: options.cacheKeyPrefix }) };
      return { SHARED: identifier };
    case CAP_HTTP_CLIENT:
      return { ALLOWED_HOSTS: (options.allowedHosts ?? []).join(",") };
    default:
      return {};
  }
}
