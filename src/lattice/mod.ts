/** The lattice's public face: join a host, or control a lattice from outside. */
export { LatticeHost } from "./lattice-host.js";
export { DEFAULT_LATTICE } from "./wire/subjects.js";
export type { JoinOptions } from "./lattice-host.js";
export { ControlClient } from "./control/control-client.js";
export type { ClientOptions, Placement, ActorPlacementResult, LatticeState } from "./control/control-client.js";
export type { NatsAccess, NatsAuth, NatsTls } from "../nats/access.js";
export type { BucketHealth } from "./state/buckets.js";
export type {
  HostSummary,
  Inventory,
  InventoryActor,
  InventoryProvider,
  LatticeEvent,
  LatticeEventType,
  LinkPutResult,
  LinkValidation,
} from "./wire/control-types.js";
export type { Link } from "./state/link-store.js";
export { putLinkByHand, deleteLinkByHand, stopActorByHand, scaleActorByHand, type Overridden } from "./control/hand-changes.js";
export { ownerText, type Owner } from "./wire/ownership.js";
export { RecordProofs, type Proof } from "./trust/record-proof.js";
export {
  InvocationSigner,
  InvocationVerifier,
  ReplayGuard,
  InvocationRejected,
  encodeInvocation,
  decodeInvocation,
  invocationHash,
  entityUrl,
} from "./wire/invocation.js";
export type { Invocation, Entity, RejectionReason } from "./wire/invocation.js";
export { latticeSubjects } from "./wire/subjects.js";
