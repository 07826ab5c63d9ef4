/** Dashboard actions: each one a call of the same control interface `wactor ctl` uses. */
import { WactorError } from "../errors.js";
import { checkInstances } from "../host/instance-count.js";
import type { ControlClient } from "../lattice/control/control-client.js";
import { deleteLinkByHand, putLinkByHand, scaleActorByHand, stopActorByHand } from "../lattice/control/hand-changes.js";

/** `force`: change it even when an application owns it (refused otherwise, as in `wactor ctl`). */
export type DashboardAction = { force?: boolean } & (
  | { action: "start"; ref: string; hostId?: string; instances?: number }
  | { action: "stop"; key: string; hostId?: string }
  | { action: "scale"; key: string; instances: number; hostId?: string }
  | { action: "link_put"; actor: string; capabilityId: string; binding?: string; values?: Record<string, string> }
  | { action: "link_del"; actor: string; capabilityId: string; binding?: string }
);

const str = (v: unknown, field: string): string => {
  if (typeof v !== "string" || v === "") throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `'${field}' must be a non-empty string`);
  return v;
};
const optStr = (v: unknown, field: string): string | undefined => (v === undefined || v === "" ? undefined : str(v, field));

/** Validates an untrusted request body into an action. */
export function parseAction(body: unknown): DashboardAction {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  return { ...parseKind(b), ...(b.force === true && { force: true }) };
}

function parseKind(b: Record<string, unknown>): DashboardAction {
  const hostId = optStr(b.hostId, "hostId");
  const host = hostId !== undefined ? { hostId } : {};
  switch (b.action) {
    case "start":
      return { action: "start", ref: str(b.ref, "ref"), ...host, ...(b.instances !== undefined && { instances: checkInstances(b.instances) }) };
    case "stop":
      return { action: "stop", key: str(b.key, "key"), ...host };
    case "scale":
      return { action: "scale", key: str(b.key, "key"), instances: checkInstances(b.instances), ...host };
    case "link_put": {
      const values = (typeof b.values === "object" && b.values !== null ? b.values : {}) as Record<string, unknown>;
      if (Object.values(values).some((v) => typeof v !== "string")) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "link values must be strings");
      const binding = optStr(b.binding, "binding");
      return {
        action: "link_put",
        actor: str(b.actor, "actor"),
        capabilityId: str(b.capabilityId, "capabilityId"),
        ...(binding !== undefined && { binding }),
        values: values as Record<string, string>,
      };
    }
    case "link_del": {
      const binding = optStr(b.binding, "binding");
      return { action: "link_del", actor: str(b.actor, "actor"), capabilityId: str(b.capabilityId, "capabilityId"), ...(binding !== undefined && { binding }) };
    }
    default:
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `unknown action ${JSON.stringify(b.action ?? null)}`);
  }
}

export async function runAction(client: ControlClient, a: DashboardAction): Promise<unknown> {
  switch (a.action) {
    case "start":
      return client.startActor(
        { ref: a.ref },
        { ...(a.hostId !== undefined && { hostId: a.hostId }), ...(a.instances !== undefined && { instances: a.instances }) },
      );
    case "stop":
      return stopActorByHand(client, a.key, a.hostId !== undefined ? { hostId: a.hostId } : {}, a.force);
    case "scale":
      return scaleActorByHand(client, a.key, a.instances, a.hostId !== undefined ? { hostId: a.hostId } : {}, a.force);
    case "link_put": {
      const result = await putLinkByHand(
        client,
        {
          actor: a.actor,
          capabilityId: a.capabilityId,
          ...(a.binding !== undefined && { binding: a.binding }),
          ...(a.values !== undefined && { values: a.values }),
        },
        a.force,
      );
      const refusal = result.validations.find((v) => !v.ok);
      if (refusal) throw new WactorError("WACTOR_ERR_BINDING_FAILED", `refused by host ${refusal.hostId}: ${refusal.code}: ${refusal.detail}`);
      return { stored: result.stored, pending: result.pending, ...(result.note && { note: result.note }) };
    }
    case "link_del":
      return deleteLinkByHand(client, a.actor, a.capabilityId, a.binding, a.force);
  }
}
