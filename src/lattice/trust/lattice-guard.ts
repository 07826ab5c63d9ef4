/**
 * A host's side of least privilege on the lattice (issue 20), built once at join: whom it
 * trusts to change the lattice (LatticeTrust), the gate of its control interface, and the
 * reporter of everything refused, wired to the host's metrics (`lattice_rejected`) and to
 * the lattice's event stream (`state_rejected`, for `ctl watch` and the dashboard).
 */
import type { Logger } from "pino";
import type { Host } from "../../host/host.js";
import { ControlGate } from "./control-auth.js";
import type { LatticeEventType } from "../wire/control-types.js";
import { LatticeTrust } from "./lattice-trust.js";
import type { SignatureVerifier } from "./operator-signature.js";
import { RejectionReporter } from "../wire/rejections.js";

export interface GuardOptions {
  trustedOperators: readonly string[];
  closeQueries: boolean;
  /** Cluster keys the host trusts now (its own, --trusted-cluster, the trust file). */
  clusters: readonly string[];
  host: Host;
  logger: Logger;
  publish(type: LatticeEventType, data: Record<string, unknown>): void;
}

export class LatticeGuard {
  readonly trust: LatticeTrust;
  readonly reporter: RejectionReporter;
  readonly gate: ControlGate;
  #clusters: readonly string[];

  constructor(o: GuardOptions) {
    this.#clusters = o.clusters;
    this.trust = new LatticeTrust({ operators: o.trustedOperators, closeQueries: o.closeQueries, clusters: () => this.#clusters });
    this.reporter = new RejectionReporter(o.logger);
    this.reporter.onReport((r) => {
      o.host.events.emit("lattice_rejected", { reason: `${r.scope}:${r.reason}` });
      o.publish("state_rejected", {
        scope: r.scope,
        reason: r.reason,
        key: r.key,
        ...(r.revision !== undefined && { revision: r.revision }),
        detail: r.detail,
      });
    });
    this.gate = new ControlGate(this.trust, this.reporter);
    if (!this.trust.enforcing) {
      o.logger.warn(
        "no trusted operator key (--trusted-operator): this lattice host takes unsigned control commands, links and applications from anyone who can reach NATS",
      );
    }
  }

  /** Follows the host's trust list (a revoked cluster key stops signing control here too). */
  setClusters(keys: readonly string[]): void {
    this.#clusters = [...keys];
  }

  /** What verifies links and control here: undefined in an open lattice (nothing is checked). */
  get linkVerifier(): SignatureVerifier | undefined {
    return this.trust.enforcing ? this.trust.control : undefined;
  }

  /** What verifies hosts' own records: trusted cluster keys only. */
  get hostVerifier(): SignatureVerifier | undefined {
    return this.trust.enforcing ? this.trust.hosts : undefined;
  }

  /** What verifies application versions: operators only. */
  get appVerifier(): SignatureVerifier | undefined {
    return this.trust.enforcing ? this.trust.apps : undefined;
  }
}
