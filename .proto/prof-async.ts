import { pino } from "pino";
import { Host, KeyPair, signModule } from "../dist/src/mod.js";
import { rawGuestBytes } from "../test/helpers/raw-guest.js";
import { InThreadActor } from "../bench/no-isolation.js";
import { bestOf, pipelinedRate } from "../bench/stats.js";
const raw = rawGuestBytes();
const request = new TextEncoder().encode("default|wascc:extras|Echo|x");
const operation = new TextEncoder().encode("HostCall");
const limit = new InThreadActor(raw, 64, async (_b, _n, _o, payload) => payload);
const host = new Host({ logger: pino({ level: "silent" }) });
await host.addProvider({ capabilityId: "wascc:extras", name: "echo", start: async () => {}, stop: async () => {}, bind: async () => {}, unbind: async () => {}, bindingStatus: () => ({ state: "ok" as const }), handleCall: async (c: { payload: Uint8Array }) => c.payload } as never);
const signed = await signModule(raw, { issuer: KeyPair.create("account"), subject: KeyPair.create("module"), caps: ["wascc:extras"] });
const key = (await host.startActor(signed.bytes, { isolation: "metered", instances: 64 })).key;
await host.bind(key, "wascc:extras", "default", {});
const mode = process.argv[2] ?? "both";
if (mode === "prof") {
  await pipelinedRate(() => host.invoke(key, "HostCall", request), 1_000_000, 64, 6000);
} else {
  const r = await bestOf(3, {
    limit: () => pipelinedRate(() => limit.invoke(operation, request), 400_000, 64, 2000),
    metered: () => pipelinedRate(() => host.invoke(key, "HostCall", request), 400_000, 64, 2000),
  });
  console.log(Math.round(r.limit.perSecond), Math.round(r.metered.perSecond), (r.metered.perSecond / r.limit.perSecond).toFixed(2));
}
await host.shutdown();
process.exit(0);
