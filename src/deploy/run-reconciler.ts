/** Starts the reconciler of one host: its own control connection, the app store and the lease. */
import type { Logger } from "pino";
import type { KeyPair } from "../claims/nkeys.js";
import type { LatticeGuard } from "../lattice/trust/lattice-guard.js";
import { ControlClient } from "../lattice/control/control-client.js";
import type { NatsAccess } from "../nats/access.js";
import { AppStore } from "./app-store.js";
import { Lease } from "./lease.js";
import { Reconciler } from "./reconciler.js";

export interface RunReconcilerOptions {
  url: string;
  lattice: string;
  holder: string;
  logger: Logger;
  /** Reconcile period; the lease lives five periods, at least 5 s (a dead leader is replaced within about that). */
  intervalMs?: number;
  access?: NatsAccess;
  /** The host's cluster key: signs the reconciler's commands and the links it puts. */
  signer?: KeyPair;
  /** The host's trust: only operator-signed versions are planned from, refusals reported there. */
  guard?: LatticeGuard;
}

/**
 * A round observes the hosts for a second and reads every application before it renews the
 * lease: a lease shorter than a few rounds expired in the middle of one under load (a 300 ms
 * period gave 1.5 s), the other host took it, and each then lost it before acting, every
 * round, so an undeploy waited for over a minute.
 */
const MIN_LEASE_MS = 5000;

export interface RunningReconciler {
  reconciler: Reconciler;
  stop(): Promise<void>;
}

export async function runReconciler(options: RunReconcilerOptions): Promise<RunningReconciler> {
  const intervalMs = options.intervalMs ?? 1000;
  const { guard } = options;
  const linkVerifier = guard?.linkVerifier;
  const appVerifier = guard?.appVerifier;
  const hostVerifier = guard?.hostVerifier;
  // An open lattice keeps what it stores readable by hosts of earlier versions (plain JSON).
  const plain = !(guard?.trust.enforcing ?? false);
  const client = await ControlClient.connect({
    url: options.url,
    lattice: options.lattice,
    logger: options.logger,
    ...(options.access && { access: options.access }),
    ...(options.signer && { signer: options.signer, plainEntries: plain }),
    ...(linkVerifier && { linkVerifier }),
    ...(hostVerifier && { hostVerifier }),
    ...(guard && { reporter: guard.reporter }),
  });
  try {
    // Statuses are signed with the host's cluster key where versions are signed (readers check them: record-proof.ts).
    const store = await AppStore.open(client.buckets, client.subjects, {
      ...(appVerifier && { verifier: appVerifier }),
      ...(guard && { reporter: guard.reporter }),
      ...(options.signer && !plain && { statusSigner: options.signer }),
    });
    const lease = await Lease.open(client.buckets, client.subjects.leaseBucket, Math.max(5 * intervalMs, MIN_LEASE_MS), {
      ...(guard && { reporter: guard.reporter }),
      ...(options.signer && !plain && { signer: options.signer }),
      ...(hostVerifier && { verifier: hostVerifier }),
    });
    const reconciler = new Reconciler({ client, store, lease, holder: options.holder, intervalMs, logger: options.logger.child({ part: "reconciler" }) });
    reconciler.start();
    return {
      reconciler,
      stop: async () => {
        await reconciler.stop();
        await client.close();
      },
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}
