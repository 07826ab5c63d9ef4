/**
 * Who may change this lattice (issue 20): the trusted operator keys, plus the cluster keys
 * the host trusts for invocations (hosts and their reconcilers act on the operator's behalf).
 * With no trusted operator the lattice is open, as before signing existed: commands and
 * entries are taken unsigned, and the host warns once at join.
 */
import { isPublicKey } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";
import { SignatureVerifier } from "./operator-signature.js";

export interface TrustOptions {
  operators: readonly string[];
  /** Trusted cluster keys, read at every check (the trust file can revoke one). */
  clusters?: () => Iterable<string>;
  /** Queries (ping, inventory) need a signature too. */
  closeQueries?: boolean;
}

export class LatticeTrust {
  readonly operators: readonly string[];
  readonly closeQueries: boolean;
  /** Control commands and links: operators and trusted clusters (the reconciler puts links, starts actors). */
  readonly control: SignatureVerifier;
  /** Application versions: operators only; a host never writes desired state. */
  readonly apps: SignatureVerifier;
  /** Hosts' own records (ping answers, the reconciler's lease): trusted cluster keys only. */
  readonly hosts: SignatureVerifier;

  constructor(options: TrustOptions) {
    for (const key of options.operators) {
      if (!isPublicKey(key, "operator")) throw new WactorError("WACTOR_ERR_KEY_TYPE", `--trusted-operator '${key}' is not an operator public key (O…)`);
    }
    this.operators = [...options.operators];
    this.closeQueries = options.closeQueries ?? false;
    const operators = new Set(this.operators);
    const clusters = options.clusters ?? (() => []);
    this.control = new SignatureVerifier(() => new Set([...operators, ...clusters()]));
    this.apps = new SignatureVerifier(() => operators);
    this.hosts = new SignatureVerifier(() => new Set(clusters()));
  }

  /** False for an open lattice: nothing is checked. */
  get enforcing(): boolean {
    return this.operators.length > 0;
  }
}
