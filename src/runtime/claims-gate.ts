/**
 * The static half of the authorization rule (docs/wascc-protocol.md §5), checked in the instance's own
 * thread before a host call leaves it: a capability missing from the actor's `caps` claim is
 * denied right there. Claims do not change while an instance lives, so this is exact; the
 * host still checks claims and bindings on every call that gets through. A guest flooding
 * the host with unclaimed calls thus costs its own thread, not the host thread everyone
 * shares. Denials are reported to the host in batches: the first of each kind at once (for
 * the log and the event stream), the rest counted and reported when the invocation ends.
 */
import { STATIC_NAMESPACE } from "../codec/static-files.js";
import { WactorError } from "../errors.js";
import { guestErrorText } from "./channel.js";

export interface GateIdentity {
  key: string;
  name: string | undefined;
  caps: readonly string[];
}

export type DenialReport = (capabilityId: string, binding: string, operation: string, count: number) => void;

/** Counted denials are reported at least this often, so a killed instance loses few. */
const REPORT_EVERY = 1024;

export class ClaimsGate {
  readonly #identity: GateIdentity;
  readonly #caps: ReadonlySet<string>;
  readonly #report: DenialReport;
  readonly #pending = new Map<string, { capabilityId: string; binding: string; operation: string; count: number }>();
  /** Denial texts by kind of call; a kind seen before is only counted. */
  readonly #messages = new Map<string, string>();

  constructor(identity: GateIdentity, report: DenialReport) {
    this.#identity = identity;
    this.#caps = new Set(identity.caps);
    this.#report = report;
  }

  /** The error text for the guest when the call is denied here; undefined when it may go on. */
  check(binding: string, namespace: string, operation: string): string | undefined {
    // An actor's own static files (wactor:static) need no claim: the host answers from its own source.
    if (this.#caps.has(namespace) || looksLikeModuleKey(namespace) || namespace === STATIC_NAMESPACE) return undefined;
    const name = binding === "" ? "default" : binding;
    const kind = `${namespace}\u0000${name}\u0000${operation}`;
    let message = this.#messages.get(kind);
    if (message === undefined) {
      message = guestErrorText(permissionDenied(this.#identity, namespace, name, operation, `the actor did not claim ${namespace}`));
      // Bounded: a guest inventing new operation names must not grow this without end.
      if (this.#messages.size < 256) this.#messages.set(kind, message);
      this.#report(namespace, name, operation, 1);
    } else {
      const pending = this.#pending.get(kind) ?? { capabilityId: namespace, binding: name, operation, count: 0 };
      pending.count++;
      this.#pending.set(kind, pending);
      if (pending.count >= REPORT_EVERY) this.#flushOne(kind);
    }
    return message;
  }

  /** Reports the denials counted since the last report. */
  flush(): void {
    if (this.#pending.size === 0) return; // every invocation ends with a flush: keep it free
    for (const kind of [...this.#pending.keys()]) this.#flushOne(kind);
  }

  #flushOne(kind: string): void {
    const pending = this.#pending.get(kind);
    this.#pending.delete(kind);
    if (pending && pending.count > 0) this.#report(pending.capabilityId, pending.binding, pending.operation, pending.count);
  }
}

/**
 * The authorization rule's refusal, naming actor, capability, binding and operation: one text
 * whether the worker's gate or the host's authorizer decided, so a guest cannot tell which.
 */
export function permissionDenied(
  actor: { key: string; name?: string | undefined },
  capabilityId: string,
  binding: string,
  operation: string,
  why: string,
): WactorError {
  return new WactorError(
    "WACTOR_ERR_PERMISSION_DENIED",
    `actor ${actor.name ? `${actor.name} ` : ""}${actor.key} -> capability ${capabilityId}, binding '${binding}', operation ${operation}: ${why}`,
  );
}

/** Actor-to-actor calls are addressed by module key; the host checks the key itself. */
function looksLikeModuleKey(namespace: string): boolean {
  return namespace.length === 56 && namespace.charCodeAt(0) === 77; /* M */
}
