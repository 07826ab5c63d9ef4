/**
 * Signatures on the control interface: the client puts a token over the subject and exact
 * body in a header (operator-signature.ts); the host's gate checks it before any handler
 * runs. Queries (ping, inventory) pass unsigned unless the host closes them too.
 */
import { headers, type Msg, type MsgHdrs } from "nats";
import type { KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import type { LatticeTrust } from "./lattice-trust.js";
import { SIGNATURE_HEADER, signControl } from "./operator-signature.js";
import type { RejectionReporter } from "../wire/rejections.js";

/** The headers of a signed request, or none without a signer. */
export function controlHeaders(signer: KeyPair | undefined, subject: string, body: Uint8Array): { headers?: MsgHdrs } {
  if (!signer) return {};
  const h = headers();
  h.set(SIGNATURE_HEADER, signControl(signer, subject, body));
  return { headers: h };
}

export type ControlKind = "query" | "command";

export class ControlGate {
  readonly #trust: LatticeTrust | undefined;
  readonly #reporter: RejectionReporter | undefined;

  constructor(trust: LatticeTrust | undefined, reporter: RejectionReporter | undefined) {
    this.#trust = trust;
    this.#reporter = reporter;
  }

  /** Throws WACTOR_ERR_CONTROL_REJECTED (and reports it) unless the request may run here. */
  check(msg: Msg, kind: ControlKind): void {
    const trust = this.#trust;
    if (!trust?.enforcing || (kind === "query" && !trust.closeQueries)) return;
    const verdict = trust.control.verifyControl(msg.headers?.get(SIGNATURE_HEADER) || undefined, msg.subject, msg.data);
    if (verdict.ok) return;
    this.#reporter?.report({ scope: "control", reason: verdict.reason, key: msg.subject, detail: verdict.detail });
    throw new WactorError("WACTOR_ERR_CONTROL_REJECTED", `${verdict.reason}: ${verdict.detail}`);
  }
}
