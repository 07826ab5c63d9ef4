/**
 * One verdict on a binding's health for metrics, `/readyz` and the ready summary. A binding
 * is up only when its provider runs and reports it "ok": a missing provider, or a provider
 * that does not know the binding, is down (with the reason), never healthy by default.
 */
import type { Binding } from "./bindings.js";
import type { CapabilityProvider } from "../provider/contract.js";

export type BindingHealth = { up: true; state: "ok" } | { up: false; state: "failed" | "missing"; reason: string };

export function bindingHealth(provider: CapabilityProvider | undefined, binding: Pick<Binding, "actorKey" | "capabilityId" | "binding">): BindingHealth {
  if (!provider) return { up: false, state: "missing", reason: `no provider for ${binding.capabilityId} runs on this host` };
  const status = provider.bindingStatus(binding.actorKey, binding.binding);
  if (!status) return { up: false, state: "missing", reason: `provider ${provider.name} holds no binding '${binding.binding}' for this actor` };
  return status.state === "ok" ? { up: true, state: "ok" } : { up: false, state: "failed", reason: status.reason };
}
