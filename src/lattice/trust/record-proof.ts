/**
 * What a reader that only displays (`wactor ctl watch`, `wactor app status`, the dashboard)
 * checks of hosts' records (issue 28): a heartbeat's proof (host-record.ts) and the signature
 * of an application's status, which the reconciler signs with its host's cluster key. Given
 * the lattice's cluster keys (`--trusted-cluster`), only those are accepted; without any, a
 * record must still be signed, correctly, by the cluster key it names (a heartbeat) or by some
 * cluster key (a status): that catches every edit of a signed record and every forged proof,
 * though not a forger holding a cluster key of its own. What fails is marked, never dropped.
 */
import { isPublicKey } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import type { HostSummary, LatticeEvent } from "../wire/control-types.js";
import { checkSummary } from "./host-record.js";
import { SignatureVerifier } from "./operator-signature.js";

export const STATUS_KIND = "app_status";

export type Proof = { ok: true; signer: string } | { ok: false; reason: string; detail: string };

export class RecordProofs {
  readonly #verifier: SignatureVerifier;
  /** Whether the reader named the lattice's keys: then an unsigned status is marked too. */
  readonly strict: boolean;

  constructor(trustedClusters: readonly string[] = []) {
    for (const key of trustedClusters)
      if (!isPublicKey(key, "cluster")) throw new WactorError("WACTOR_ERR_KEY_TYPE", `--trusted-cluster '${key}' is not a cluster public key (C…)`);
    const trusted = new Set(trustedClusters);
    this.strict = trusted.size > 0;
    this.#verifier = new SignatureVerifier(() => (this.strict ? trusted : ({ has: (key: string) => isPublicKey(key, "cluster") } as ReadonlySet<string>)));
  }

  /** A heartbeat's summary: proven by the host's own, trusted, cluster key. */
  heartbeat(event: LatticeEvent): Proof {
    const verdict = checkSummary(this.#verifier, event.data as unknown as HostSummary);
    if (verdict.ok && event.data.id !== event.hostId)
      return { ok: false, reason: "tampered", detail: `a heartbeat of ${String(event.data.id)} published as host ${event.hostId}` };
    return verdict.ok ? { ok: true, signer: verdict.issuer } : { ok: false, reason: verdict.reason, detail: verdict.detail };
  }

  /** A stored status: signed by a (trusted) cluster key for its key. Plain JSON is marked only when strict (an open lattice writes it so). */
  status(bytes: Uint8Array, name: string): Proof | undefined {
    const verdict = this.#verifier.verifyEntry(bytes, STATUS_KIND, name);
    if (verdict.ok) return { ok: true, signer: verdict.issuer };
    if (verdict.reason === "unsigned" && !this.strict) return undefined;
    return { ok: false, reason: verdict.reason, detail: verdict.detail };
  }

  /** The event as shown: a heartbeat carries its verdict in `proof`. */
  mark(event: LatticeEvent): LatticeEvent & { proof?: Proof } {
    return event.type === "host_heartbeat" ? { ...event, proof: this.heartbeat(event) } : event;
  }
}
