/** Messages between the host and its transform worker. */
import type { GuestKind } from "../suspendable-guest.js";
import type { SuspensionMode } from "../suspension.js";
import type { InstrumentReport } from "./instrument.js";

export interface TransformRequest {
  id: number;
  bytes: Uint8Array;
  kind: GuestKind;
  mode: SuspensionMode;
}

export type TransformReply =
  { id: number; ok: true; bytes: Uint8Array; report: InstrumentReport } | { id: number; ok: false; error: string; detail: string | undefined };
