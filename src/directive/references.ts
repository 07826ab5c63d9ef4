/**
 * Function references (`[identifier#][namespace::]name[@version]`) and FQFNs, plus the Go
 * `x/mod/semver` validity rule Atmo uses for versions. Both are a few lines of string rules,
 * so they are written here rather than pulled from a library (npm's semver rejects `v1` and
 * accepts `1.2.3`, the opposite of Go).
 */
import type { Directive, Runnable } from "./types.js";

export const DEFAULT_NAMESPACE = "default";

export function fqfnOf(identifier: string, namespace: string, name: string, appVersion: string): string {
  return `${identifier}#${namespace}::${name}@${appVersion}`;
}

export interface FunctionReference {
  identifier?: string;
  namespace: string;
  name: string;
  version?: string;
}

/** Splits a reference, each stage at the first occurrence of its separator, as Atmo does. */
export function parseReference(reference: string): FunctionReference {
  let rest = reference;
  let identifier: string | undefined;
  let version: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    identifier = rest.slice(0, hash);
    rest = rest.slice(hash + 1);
  }
  let namespace = DEFAULT_NAMESPACE;
  const colons = rest.indexOf("::");
  if (colons >= 0) {
    namespace = rest.slice(0, colons);
    rest = rest.slice(colons + 2);
  }
  const at = rest.indexOf("@");
  if (at >= 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  return { ...(identifier !== undefined && { identifier }), namespace, name: rest, ...(version !== undefined && { version }) };
}

/** The runnable a reference reaches in this Directive, or undefined. */
export function resolveReference(directive: Pick<Directive, "identifier" | "appVersion" | "runnables">, reference: string): Runnable | undefined {
  const ref = parseReference(reference);
  if (ref.identifier !== undefined && ref.identifier !== directive.identifier) return undefined;
  if (ref.version !== undefined && ref.version !== directive.appVersion) return undefined;
  return directive.runnables.find((r) => r.name === ref.name && r.namespace === ref.namespace);
}

/** Characters that would make a runnable's own name unreachable by any reference. */
export const RESERVED_IN_NAMES = /#|::|@/;

const NUM = "(?:0|[1-9][0-9]*)";
const PRE_IDENT = "(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)";
const BUILD_IDENT = "[0-9A-Za-z-]+";
const SEMVER = new RegExp(`^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-${PRE_IDENT}(?:\\.${PRE_IDENT})*)?(?:\\+${BUILD_IDENT}(?:\\.${BUILD_IDENT})*)?)?)?$`);

/** Go's semver.IsValid: a leading `v`; `v1` and `v1.2` are shorthand; suffixes need all three numbers. */
export function isGoSemver(version: string): boolean {
  return SEMVER.test(version);
}
