/**
 * A healthy actor's throughput alone and next to hostile actors (an infinite loop, a memory
 * bomb, a trap and abort storm, deep recursion, 32 MiB replies, a flood of denied host calls),
 * in one run; plus the host's peak RSS. Targets: >= 0.8 of solo beside the loop alone, >= 0.6
 * beside all seven.
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
    const echo = (await host.startActor(actor("echo").signedPath)).key;
    const looper = (await host.startActor(actor("looper").signedPath, { instances: 1, deadlineMs: 200 })).key;
    const hog = (await host.startActor(actor("hog").signedPath, { instances: 1, maxMemoryBytes: 32 * 1024 * 1024 })).key;
    const panicker = (await host.startActor(actor("panicker").signedPath, { instances: 1 })).key;
    const payload = new Uint8Array(64);
    // Calls per CPU second of this process beside calls per second: on a shared machine the
    // process may not get its core, and the CPU figure moves less.
    const measure = async () => {
      const cpu = process.cpuUsage();
      const rate = await pipelinedRate(() => host.invoke(echo, "Echo", payload), 300_000, 64, 3000);
      const used = process.cpuUsage(cpu);
      return { ...rate, perCpuSecond: rate.count / ((used.user + used.system) / 1e6) };
    };
    await measure(); // warm-up
    const solo = await measure();

    let running = true;
    const outcomes = new Map<string, { failed: number; done: number }>();
    const attack = (key: string, op: string) =>
      (async () => {
        const tally = outcomes.get(op) ?? { failed: 0, done: 0 };
        outcomes.set(op, tally);
        // Like a client that retries at once (1 ms) after each failure.
        for (let i = 0; running && i < 100_000; i++) {
          await host.invoke(key, op, payload).then(
            () => void tally.done++,
            async () => {
              tally.failed++;
              await new Promise((r) => setTimeout(r, 1));
            },
          );
        }
      })();
    const loopOnly = attack(looper, "Loop");
    const beside = await measure();
    running = false;
    await loopOnly;
    running = true;
    outcomes.clear();
    const attackers = [attack(looper, "Loop"), attack(hog, "Hog"), ...["Panic", "Abort", "Recurse", "Huge", "Flood"].map((op) => attack(panicker, op))];
    const besieged = await measure();
    running = false;
    await Promise.all(attackers);
    const tallies = [...outcomes].map(([op, t]) => `${op} ${t.failed}/${t.done}`).join(", ");
    return [
      {
        what: "healthy echo, 64 in flight (calls/s): alone vs beside a looping actor (target >= 0.8)",
        baseline: fmt(solo.perSecond),
        wactor: fmt(beside.perSecond),
        ratio: `${fmt(beside.perSecond / solo.perSecond, 2)} (CPU ${fmt(beside.perCpuSecond / solo.perCpuSecond, 2)})`,
      },
      {
        what: "healthy echo, 64 in flight (calls/s): alone vs beside loop, memory bomb, traps, aborts, recursion, 32 MiB replies, host-call flood (target >= 0.6)",
        baseline: fmt(solo.perSecond),
        wactor: fmt(besieged.perSecond),
        ratio: `${fmt(besieged.perSecond / solo.perSecond, 2)} (CPU ${fmt(besieged.perCpuSecond / solo.perCpuSecond, 2)})`,
      },
      { what: "hostile invocations in that window, failed/completed", baseline: "-", wactor: tallies, ratio: "-" },
      { what: "host peak RSS (MiB)", baseline: "-", wactor: fmt(peakRss / 1048576), ratio: "-" },
    ];
  } finally {
    clearInterval(sampler);
    await host.shutdown();
  }
}
