/**
 * OCI references (`registry.example.com:5000/team/echo:v1`, `…/echo@sha256:<hex>`), parsed
 * with the distribution project's grammar. The registry must be named: a reference never
 * falls back to Docker Hub, so a relative file path cannot be mistaken for one.
 */
import { WactorError } from "../errors.js";

export interface OciReference {
  /** `host[:port]` as written. */
  registry: string;
  /** Repository path, e.g. `team/echo`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` when the reference is pinned by digest. */
  digest?: string;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A first component names a registry when it has a dot or a port, or is `localhost` (distribution's rule). */
function isDomain(component: string): boolean {
  return (component.includes(".") || component.includes(":") || component === "localhost") && DOMAIN.test(component);
}

/** Parses a reference, or returns undefined when `text` is not one (a file path, a key, a name). */
export function tryParseReference(text: string): OciReference | undefined {
  if (/\.wasm$/i.test(text) || /\s/.test(text)) return undefined;
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  const slash = rest.indexOf("/");
  if (slash <= 0) return undefined;
  const registry = rest.slice(0, slash);
  if (!isDomain(registry)) return undefined;
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (path === "" || !path.split("/").every((c) => PATH_COMPONENT.test(c))) return undefined;
  return { registry, repository: path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

export function isOciReference(text: string): boolean {
  return tryParseReference(text) !== undefined;
}

/**
 * Parses a reference for use: as in wash, a reference without a tag or digest, or tagged
 * `latest`, is refused unless `allowLatest` (what it names changes under one's feet).
 */
export function parseReference(text: string, options: { allowLatest?: boolean } = {}): OciReference {
  const ref = tryParseReference(text);
  if (!ref) throw new WactorError("WACTOR_ERR_OCI_REFERENCE", `'${text}'`);
  const floating = ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest");
  if (floating && !options.allowLatest)
    throw new WactorError("WACTOR_ERR_OCI_REFERENCE", `'${text}' names ':latest'; give a version tag or a digest, or pass --allow-latest`);
  return ref;
}

/** What to ask the registry's manifest endpoint for: the digest when pinned, else the tag. */
export function manifestReference(ref: OciReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

export function formatReference(ref: OciReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** Loopback registries may be spoken to over plain HTTP without --insecure (as Docker does). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, "");
  return host === "localhost" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}
