/**
 * Shape checks of what the apps buckets hold: an entry that is not a whole application
 * version (or status) is junk, and junk is never planned from.
 */
import type { AppStatus, DesiredApp } from "./app-types.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isStringMap = (v: unknown): boolean => isObject(v) && Object.values(v).every(isString);
const arrayOf = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);

const isActor = (a: unknown): boolean =>
  isObject(a) &&
  isString(a.key) &&
  (a.name === undefined || isString(a.name)) &&
  isString(a.digest) &&
  Number.isInteger(a.replicas) &&
  Number.isInteger(a.instances) &&
  arrayOf(a.spread, (s) => isObject(s) && isStringMap(s.labels) && typeof s.weight === "number") &&
  (a.bundle === undefined || isString(a.bundle));

const isBundle = (b: unknown): boolean =>
  isObject(b) &&
  isString(b.identifier) &&
  isString(b.appVersion) &&
  isString(b.digest) &&
  isStringMap(b.edge) &&
  Number.isInteger(b.port) &&
  (b.listen === undefined || isString(b.listen)) &&
  (b.messaging === undefined || isStringMap(b.messaging));

const isLink = (l: unknown): boolean => isObject(l) && isString(l.actorKey) && isString(l.capabilityId) && isString(l.binding) && isStringMap(l.values);

export function isDesiredApp(v: unknown): v is DesiredApp {
  return (
    isObject(v) &&
    isString(v.name) &&
    v.name !== "" &&
    isString(v.version) &&
    isString(v.deployedAt) &&
    typeof v.undeployed === "boolean" &&
    arrayOf(v.actors, isActor) &&
    arrayOf(v.providers, (p) => isObject(p) && isString(p.capability) && isStringMap(p.on)) &&
    arrayOf(v.links, isLink) &&
    (v.bundles === undefined || arrayOf(v.bundles, isBundle)) &&
    arrayOf(v.owned, isString)
  );
}

export function isAppStatus(v: unknown): v is AppStatus {
  return (
    isObject(v) &&
    isString(v.name) &&
    isString(v.version) &&
    isString(v.deployedAt) &&
    isString(v.phase) &&
    Array.isArray(v.actors) &&
    arrayOf(v.problems, isString) &&
    arrayOf(v.pending, isString)
  );
}
