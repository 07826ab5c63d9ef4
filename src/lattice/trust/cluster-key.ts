/** The cluster key a host signs its invocations (and what it does for the operator) with. */
import type { Logger } from "pino";
import { KeyPair } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";

export function clusterKeyFrom(seed: string | undefined, logger: Logger): KeyPair {
  if (!seed) {
    const generated = KeyPair.create("cluster");
    logger.warn(
      { clusterKey: generated.publicKey },
      "no cluster seed given: generated one; other hosts accept this host's invocations only with --trusted-cluster for it (or share a seed with --cluster-seed)",
    );
    return generated;
  }
  const key = KeyPair.fromSeed(seed);
  if (key.type !== "cluster") throw new WactorError("WACTOR_ERR_KEY_TYPE", "--cluster-seed must be a cluster seed (SC…)");
  return key;
}
