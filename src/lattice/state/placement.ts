/** Where actors run and where a new one goes, decided from the hosts' summaries (pure, no I/O). */
import { WactorError } from "../../errors.js";
import type { HostSummary } from "../wire/control-types.js";

/** Ids of the hosts running the actor. */
export function hostsRunning(hosts: readonly HostSummary[], actorKey: string): string[] {
  return hosts.filter((h) => h.actorKeys.includes(actorKey)).map((h) => h.id);
}

/** Among hosts matching the labels and not running the actor yet, the least loaded. */
export function chooseHost(hosts: readonly HostSummary[], constraints: Record<string, string>, actorKey: string | undefined): string {
  const matching = hosts.filter((h) => Object.entries(constraints).every(([k, v]) => h.labels[k] === v));
  const free = matching.filter((h) => !actorKey || !h.actorKeys.includes(actorKey));
  const wanted =
    Object.entries(constraints)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ") || "(none)";
  if (free.length === 0) {
    throw new WactorError(
      "WACTOR_ERR_NO_MATCHING_HOST",
      matching.length > 0 ? `every host matching ${wanted} already runs the actor` : `no host matches ${wanted}`,
    );
  }
  return free.sort((a, b) => a.actorKeys.length - b.actorKeys.length)[0]!.id;
}
