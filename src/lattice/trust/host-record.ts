/**
 * Hosts' own records signed with their cluster key (issue 20): the summary a host answers a
 * ping with and heartbeats carries a proof over its exact JSON. A reader that acts on it (the
 * reconciler places actors by it) drops an answer without a good, recent proof from a trusted
 * cluster key, so a client that can answer pings cannot attract placements.
 */
import type { KeyPair } from "../../claims/nkeys.js";
import type { HostSummary } from "../wire/control-types.js";
import { signRecord, type SignatureVerifier, type Verdict } from "./operator-signature.js";

const KIND = "host";
const encoder = new TextEncoder();
/** A proof older than this is refused: summaries are made fresh for every ping. */
const MAX_AGE_MS = 60_000;

const bytesOf = (summary: Omit<HostSummary, "proof">): Uint8Array => encoder.encode(JSON.stringify(summary));

export function proveSummary(signer: KeyPair, summary: HostSummary): HostSummary {
  const { proof: _old, ...rest } = summary;
  return { ...rest, proof: signRecord(signer, KIND, rest.id, bytesOf(rest)) };
}

/** The JSON crossed NATS once, so re-encoding the parsed summary gives back the signed bytes. */
export function checkSummary(verifier: SignatureVerifier, summary: HostSummary): Verdict<undefined> {
  const { proof, ...rest } = summary;
  const verdict = verifier.verifyRecord(proof, KIND, String(rest.id), bytesOf(rest), MAX_AGE_MS);
  if (verdict.ok && verdict.issuer !== rest.clusterKey)
    return { ok: false, reason: "tampered", detail: `signed by ${verdict.issuer}, not the host's cluster key ${rest.clusterKey}` };
  return verdict;
}
