/** Small helpers every built-in provider shares. */
import { WactorError } from "../src/errors.js";
import type { ProviderCall, ProviderContext } from "../src/provider/contract.js";

/** Map key of one binding: an actor may bind the same capability under several names. */
export const bindingKey = (actorKey: string, binding: string): string => `${actorKey}\u0000${binding}`;

/** Why something failed, as one line for a WactorError detail or a binding status. */
export function reasonOf(err: unknown): string {
  if (err instanceof WactorError) return err.detail ?? err.message;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** The state of the binding a call names, or WACTOR_ERR_NOT_BOUND. */
export function bindingFor<T>(bindings: ReadonlyMap<string, T>, capabilityId: string, call: Pick<ProviderCall, "actor" | "binding">): T {
  const state = bindings.get(bindingKey(call.actor.key, call.binding));
  if (state === undefined) {
    throw new WactorError("WACTOR_ERR_NOT_BOUND", `${capabilityId}: actor ${call.actor.key} has no binding '${call.binding}'`);
  }
  return state;
}

export function unknownOperation(capabilityId: string, operation: string): WactorError {
  return new WactorError("WACTOR_ERR_UNKNOWN_OPERATION", `${capabilityId} has no operation '${operation}'`);
}

/** The context, or an error saying start() was not called; providers never run half-started. */
export function requireContext(context: ProviderContext | undefined, capabilityId: string): ProviderContext {
  if (!context) throw new WactorError("WACTOR_ERR_NO_PROVIDER", `${capabilityId} provider is not started`);
  return context;
}

/** Rejects with `onTimeout()` unless `promise` settles within `ms`; the timer never outlives it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses a non-negative integer binding value, or throws WACTOR_ERR_BINDING_INVALID naming it. */
export function integerValue(values: Readonly<Record<string, string>>, name: string, fallback: number | undefined, max: number): number {
  const raw = values[name]?.trim();
  if (raw === undefined || raw === "") {
    if (fallback !== undefined) return fallback;
    throw new WactorError("WACTOR_ERR_BINDING_INVALID", `${name} is required`);
  }
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new WactorError("WACTOR_ERR_BINDING_INVALID", `${name} must be an integer from 0 to ${max}, got '${raw}'`);
  }
  return Number(raw);
}

/** A URL fit for messages and logs: any password is masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
