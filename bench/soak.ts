/**
 * `npm run soak`: SOAK_REQUESTS (default 1,000,000) HTTP requests through the echo actor,
 * in slices of 100,000 by autocannon in its own process. Passes with zero failed requests
 * and RSS growth under 10 % after the first (warm-up) slice. Bounded in count and time.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { freePort } from "../scripts/lib/servers.js";

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 1_000_000);
const SLICE = Math.min(100_000, TOTAL);
const AUTOCANNON = fileURLToPath(new URL("../node_modules/autocannon/autocannon.js", import.meta.url));
const run = promisify(execFile);
const mib = (n: number) => (n / 1048576).toFixed(1);

interface Slice {
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

const host = new Host({ logger: pino({ level: "silent" }) });
await host.addProvider(createBuiltinProvider("wascc:http_server"));
const echo = await host.startActor(actor("echo").signedPath);
const port = await freePort();
await host.bind(echo.key, "wascc:http_server", "default", { PORT: String(port) });

let sent = 0;
let failed = 0;
let baseline = 0;
let peak = 0;
const started = Date.now();
for (let slice = 0; sent < TOTAL && Date.now() - started < 30 * 60_000; slice++) {
  const amount = Math.min(SLICE, TOTAL - sent);
  const { stdout } = await run(process.execPath, [AUTOCANNON, "-c", "50", "-a", String(amount), "--json", `http://127.0.0.1:${port}/soak?slice=${slice}`], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const r = JSON.parse(stdout) as Slice;
  sent += r.requests.total;
  failed += r.errors + r.timeouts + r.non2xx;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  if (slice === 0) baseline = rss;
  else peak = Math.max(peak, rss); // growth is measured after the warm-up slice
  process.stdout.write(`slice ${slice}: ${r.requests.total} requests, ${Math.round(r.requests.average)} req/s, failed so far ${failed}, RSS ${mib(rss)} MiB\n`);
}
const growth = baseline > 0 && peak > 0 ? (peak - baseline) / baseline : 0;
process.stdout.write(
  `\nsoak: ${sent} requests, ${failed} failed, RSS after warm-up ${mib(baseline)} MiB, peak ${mib(peak)} MiB, growth ${(growth * 100).toFixed(1)} %\n`,
);
await host.shutdown();
const ok = failed === 0 && sent >= TOTAL && growth < 0.1;
process.stdout.write(ok ? "soak: PASS\n" : "soak: FAIL\n");
process.exit(ok ? 0 : 1);
