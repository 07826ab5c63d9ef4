import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { createBuiltinProvider } from "../dist/capabilities/mod.js";
import { Host } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { freePort } from "../test/helpers/servers.js";
import { InThreadActor, limitServer } from "../bench/no-isolation.js";
const run = promisify(execFile);
const ac = async (url: string, s: number) => JSON.parse((await run(process.execPath, ["node_modules/autocannon/autocannon.js", "-c", "50", "-d", String(s), "--json", url], { maxBuffer: 1 << 26 })).stdout).requests.average;
const host = new Host({ logger: pino({ level: "silent" }) });
await host.addProvider(createBuiltinProvider("wascc:http_server"));
const built = actor("echo");
const key = (await host.startActor(built.signedPath, { instances: 2, isolation: (process.env.ISO as "metered") ?? "metered" })).key;
const port = await freePort();
await host.bind(key, "wascc:http_server", "default", { PORT: String(port) });
const lp = await freePort();
const ls = await limitServer(new InThreadActor(new Uint8Array(readFileSync(built.signedPath)), 2), lp);
const mode = process.argv[2] ?? "both";
if (mode === "prof") { await ac(`http://127.0.0.1:${port}/bench`, 1); console.log("wactor", await ac(`http://127.0.0.1:${port}/bench`, 5)); }
else if (mode === "proflimit") { await ac(`http://127.0.0.1:${lp}/bench`, 1); console.log("limit", await ac(`http://127.0.0.1:${lp}/bench`, 5)); }
else {
  const cpu = async (url: string) => { const c = process.cpuUsage(); const r = await ac(url, 3); const d = process.cpuUsage(c); return { rps: r, us: (d.user + d.system) / (r * 3) }; };
  for (let i = 0; i < 3; i++) { const l = await cpu(`http://127.0.0.1:${lp}/bench`); const w = await cpu(`http://127.0.0.1:${port}/bench`); console.log(Math.round(l.rps), Math.round(w.rps), (w.rps / l.rps).toFixed(2), "cpu us/req", l.us.toFixed(1), w.us.toFixed(1), (l.us / w.us).toFixed(2)); }
}
await ls.close(); await host.shutdown(); process.exit(0);
