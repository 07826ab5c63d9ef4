/** A bundle's `static/` entries as the host's per-actor static file source (get_static_file). */
import type { StaticFiles as HostStaticFiles } from "../../host/static-files.js";
import type { StaticFiles } from "../static-files.js";

export function bundleStaticSource(statics: StaticFiles): HostStaticFiles {
  // The bundle normalizes names the same way the host does; reads never leave `static/`.
  return { read: async (name) => statics.get(name) };
}
