/** The lattice's public face: join a host, or control a lattice from outside. */
export { LatticeHost, DEFAULT_LATTICE } from "./lattice-host.js";
export type { JoinOptions } from "./lattice-host.js";
export { ControlClient } from "./control-client.js";
export type { ClientOptions, Placement, ActorPlacementResult, LatticeState } from "./control-client.js";
export type { NatsAccess, NatsAuth, NatsTls } from "./nats-access.js";
export type { BucketHealth } from "./buckets.js";
export type { HostSummary, Inventory, InventoryActor, InventoryProvider, LatticeEvent, LatticeEventType, LinkPutResult, LinkValidation } from "./control-types.js";
export type { Link } from "./link-store.js";
export { putLinkByHand, deleteLinkByHand, stopActorByHand, scaleActorByHand, type Overridden } from "./hand-changes.js";
export { ownerText, type Owner } from "./ownership.js";
export { RecordProofs, type Proof } from "./record-proof.js";
export { InvocationSigner, InvocationVerifier, ReplayGuard, InvocationRejected, encodeInvocation, decodeInvocation, invocationHash, entityUrl } from "./invocation.js";
export type { Invocation, Entity, RejectionReason } from "./invocation.js";
export { latticeSubjects } from "./subjects.js";
