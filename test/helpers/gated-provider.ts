/** A provider for suspension tests: "Hang" never answers, "Gate" waits for `open()`, the rest answer as SpyProvider. */
import { expect } from "vitest";
import { KeyPair } from "../../src/claims/nkeys.js";
import { signModule } from "../../src/claims/sign.js";
import type { Host } from "../../src/host/host.js";
import type { ProviderCall } from "../../src/provider/contract.js";
import { eventually } from "./eventually.js";
import { rawGuestBytes, testAccount } from "./raw-guest.js";
import { SpyProvider } from "./spy-provider.js";

export class GatedProvider extends SpyProvider {
  #release: Array<() => void> = [];
  open(): void {
    for (const release of this.#release.splice(0)) release();
  }
  get waiting(): number {
    return this.#release.length;
  }
  override async handleCall(call: ProviderCall): Promise<Uint8Array> {
    if (call.operation === "Hang") return new Promise<Uint8Array>(() => undefined);
    if (call.operation === "Gate") await new Promise<void>((resolve) => this.#release.push(resolve));
    return super.handleCall(call);
  }
}

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * A live update of the raw guest while 20 of its invocations wait at `logging`'s gate: the new
 * version serves at once, and every suspended invocation of the old one finishes with its reply.
 * Returns the actor's key (still running).
 */
export async function liveUpdateWhileSuspended(host: Host, logging: GatedProvider, name: string): Promise<string> {
  const subject = KeyPair.create("module");
  const v1 = await signModule(rawGuestBytes(), { issuer: testAccount, subject, caps: ["wascc:logging"], name, ver: "1" });
  const v2 = await signModule(rawGuestBytes(), { issuer: testAccount, subject, caps: ["wascc:logging"], name, ver: "2" });
  const key = (await host.startActor(v1.bytes)).key;
  await host.bind(key, "wascc:logging", "default", {});
  const suspended = Array.from({ length: 20 }, (_, i) => host.invoke(key, "HostCall", enc(`default|wascc:logging|Gate|old${i}`)));
  await eventually(() => expect(logging.waiting).toBe(20));
  const update = host.replaceActor(key, v2.bytes);
  // The new version takes over while the old instances stay suspended until their replies come.
  await eventually(() => expect(host.actorInfo(key)?.claims.ver).toBe("2"));
  expect(dec(await host.invoke(key, "HostCall", enc("default|wascc:logging|WriteLog|new")))).toBe("wascc:logging:WriteLog:new");
  expect(logging.waiting).toBe(20);
  logging.open();
  expect((await Promise.all(suspended)).map(dec)).toEqual(Array.from({ length: 20 }, (_, i) => `wascc:logging:Gate:old${i}`));
  await update;
  return key;
}
