/**
 * A healthy actor's throughput alone and next to hostile actors (infinite loops, a memory
 * bomb, a trap storm), in one run; plus the host's peak RSS. Target: >= 0.8 of solo.
 */
import { pino } from "pino";
import { Host } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { fmt, pipelinedRate } from "./stats.js";
import type { Row } from "./runtime.js";

export async function hostileBench(): Promise<Row[]> {
  const host = new Host({ logger: pino({ level: "silent" }) });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const echo = (await host.startActor(actor("echo").signedPath, { instances: 1 })).key;
    const looper = (await host.startActor(actor("looper").signedPath, { instances: 1, deadlineMs: 200 })).key;
    const hog = (await host.startActor(actor("hog").signedPath, { instances: 1, maxMemoryBytes: 32 * 1024 * 1024 })).key;
    const panicker = (await host.startActor(actor("panicker").signedPath, { instances: 1 })).key;
    const payload = new Uint8Array(64);
    const measure = () => pipelinedRate(() => host.invoke(echo, "Echo", payload), 300_000, 64, 3000);
    await measure(); // warm-up
    const solo = await measure();

    let running = true;
    const failures = { looper: 0, hog: 0, panicker: 0 };
    const attack = (key: string, op: string, counter: keyof typeof failures) =>
      (async () => {
        // Like a client that retries at once (1 ms) after each failure.
        for (let i = 0; running && i < 100_000; i++) {
          await host.invoke(key, op, payload).catch(async () => {
            failures[counter]++;
            await new Promise((r) => setTimeout(r, 1));
          });
        }
      })();
    const attackers = [attack(looper, "Loop", "looper"), attack(hog, "Hog", "hog"), attack(panicker, "Panic", "panicker"), attack(panicker, "Abort", "panicker")];
    const besieged = await measure();
    running = false;
    await Promise.all(attackers);
    return [
      { what: "healthy echo, 64 in flight (calls/s): alone vs beside looper + hog + panicker", baseline: fmt(solo.perSecond), wactor: fmt(besieged.perSecond), ratio: fmt(besieged.perSecond / solo.perSecond, 2) },
      { what: "hostile invocations failed during that window (loop / hog / trap)", baseline: "-", wactor: `${failures.looper} / ${failures.hog} / ${failures.panicker}`, ratio: "-" },
      { what: "host peak RSS (MiB)", baseline: "-", wactor: fmt(peakRss / 1048576), ratio: "-" },
    ];
  } finally {
    clearInterval(sampler);
    await host.shutdown();
  }
}
