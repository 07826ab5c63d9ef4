/**
 * A binding's rules for outbound requests, parsed and checked once at bind time.
 *
 * ALLOWED_HOSTS is a comma list of `host`, `host:port`, `*.domain` (any subdomain, not the
 * domain itself), `*` (any host), each with an optional `:port`; IPv6 in brackets. Nothing
 * is allowed by default. A loopback/private address is reached only through an EXACT entry
 * (host or IP, and its port if the entry names one): `exactGrant` says whether a URL has one.
 * Hosts are normalized by the WHATWG URL parser on both sides, so `2130706433`, `0x7f.1` and
 * `127.0.0.1` are one host, and `EXAMPLE.com` matches `example.com`.
 */
import { WactorError } from "../../src/errors.js";
import { integerValue } from "../shared.js";
import { ipLiteral } from "./addresses.js";

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;
export const AUTH_HEADER_PREFIX = "AUTH_HEADER_";
/** The largest body a reply can carry to an actor (the MessagePack decoder's limit). */
const MAX_RESPONSE_CAP = 64 * 1024 * 1024;

interface HostRule {
  /** Normalized hostname; for a wildcard the domain after `*.`, "" for a bare `*`. */
  host: string;
  wildcard: boolean;
  port: number | undefined;
}

export interface HttpClientConfig {
  rules: readonly HostRule[];
  /** ALLOWED_HOSTS as given, for error messages. */
  allowedHosts: string;
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
  /** `host` or `host:port` (normalized) -> the Authorization header value for it. */
  auth: ReadonlyMap<string, string>;
}

const invalid = (detail: string): WactorError => new WactorError("WACTOR_ERR_BINDING_INVALID", detail);

/** The port a URL talks to, its scheme's default when it names none. */
export const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80);

/** `host[:port]` -> normalized hostname and port; throws a plain message when it is not one. */
function parseHostPort(text: string, what: string): { host: string; port: number | undefined } {
  // A bare IPv6 address has colons of its own: take it whole, as an address without a port.
  const bracketed = text.includes(":") && !text.startsWith("[") && text.split(":").length > 2 ? `[${text}]` : text;
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(bracketed);
  if (!match) throw invalid(`${what}: '${text}' is not host or host:port`);
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw invalid(`${what}: port ${port} of '${text}' is not 1-65535`);
  let parsed: URL;
  try {
    parsed = new URL(`http://${match[1]}/`);
  } catch {
    throw invalid(`${what}: '${text}' is not a valid host name or IP`);
  }
  if (parsed.username || parsed.password || parsed.pathname !== "/" || parsed.search || parsed.hash)
    throw invalid(`${what}: '${text}' is not a valid host name or IP`);
  return { host: parsed.hostname, port };
}

function parseRule(entry: string): HostRule {
  if (entry.includes("/") || entry.includes("@")) throw invalid(`ALLOWED_HOSTS: '${entry}' must be a host (host, host:port, *.domain, *), not a URL`);
  if (entry === "*" || entry.startsWith("*:")) {
    const port = entry === "*" ? undefined : parseHostPort(`any${entry.slice(1)}`, "ALLOWED_HOSTS").port;
    return { host: "", wildcard: true, port };
  }
  if (entry.startsWith("*.")) {
    const { host, port } = parseHostPort(entry.slice(2), "ALLOWED_HOSTS");
    if (ipLiteral(host) !== undefined) throw invalid(`ALLOWED_HOSTS: '${entry}': a wildcard takes a domain, not an IP`);
    return { host, wildcard: true, port };
  }
  if (entry.includes("*")) throw invalid(`ALLOWED_HOSTS: '${entry}': '*' may only stand alone or lead as '*.domain'`);
  return { ...parseHostPort(entry, "ALLOWED_HOSTS"), wildcard: false };
}

/** `port` undefined: any port of the host. */
function matches(rule: HostRule, hostname: string, port: number | undefined): boolean {
  if (rule.port !== undefined && port !== undefined && rule.port !== port) return false;
  if (!rule.wildcard) return rule.host === hostname;
  if (rule.host === "") return true;
  return ipLiteral(hostname) === undefined && hostname.endsWith(`.${rule.host}`);
}

/** Some rule allows this host and port (the private-address rule is checked at connect time). */
export const isAllowed = (config: HttpClientConfig, hostname: string, port: number): boolean => config.rules.some((rule) => matches(rule, hostname, port));

/** An exact (non-wildcard) rule names this host and port: it may then be a private address. */
export const exactGrant = (config: HttpClientConfig, hostname: string, port: number): boolean =>
  config.rules.some((rule) => !rule.wildcard && matches(rule, hostname, port));

/** The configured Authorization value for this URL's host, `host:port` first. */
export function authFor(config: HttpClientConfig, url: URL): string | undefined {
  return config.auth.get(`${url.hostname}:${portOf(url)}`) ?? config.auth.get(url.hostname);
}

function parseAuth(values: Readonly<Record<string, string>>, rules: readonly HostRule[]): Map<string, string> {
  const auth = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    if (!name.startsWith(AUTH_HEADER_PREFIX)) continue;
    // Messages name the binding value, never its content: it is a secret.
    const target = name.slice(AUTH_HEADER_PREFIX.length);
    if (target.includes("*")) throw invalid(`${name}: an auth header goes to one host, not a wildcard`);
    const { host, port } = parseHostPort(target, name);
    if (value.trim() === "" || /[\r\n\0]/.test(value)) throw invalid(`${name}: the value must be a header value on one line, e.g. 'Bearer <token>'`);
    if (!rules.some((rule) => matches(rule, host, port))) {
      throw invalid(`${name}: host '${target}' is not in ALLOWED_HOSTS, so the header would never be sent; add it there`);
    }
    auth.set(port === undefined ? host : `${host}:${port}`, value.trim());
  }
  return auth;
}

/** Every binding value checked; WACTOR_ERR_BINDING_INVALID naming the one that is wrong. */
export function parseConfig(values: Readonly<Record<string, string>>): HttpClientConfig {
  const allowedHosts = values.ALLOWED_HOSTS?.trim() ?? "";
  const rules =
    allowedHosts === ""
      ? []
      : allowedHosts.split(",").map((raw) => {
          const entry = raw.trim();
          if (entry === "") throw invalid(`ALLOWED_HOSTS '${allowedHosts}' has an empty entry`);
          return parseRule(entry.toLowerCase());
        });
  const timeoutMs = integerValue(values, "TIMEOUT_MS", DEFAULT_TIMEOUT_MS, 600_000);
  if (timeoutMs === 0) throw invalid("TIMEOUT_MS must be at least 1 ms");
  const maxResponseBytes = integerValue(values, "MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES, MAX_RESPONSE_CAP);
  const maxRedirects = integerValue(values, "MAX_REDIRECTS", DEFAULT_MAX_REDIRECTS, 20);
  return { rules, allowedHosts, timeoutMs, maxResponseBytes, maxRedirects, auth: parseAuth(values, rules) };
}
