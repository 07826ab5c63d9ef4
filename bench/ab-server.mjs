// One HTTP-serving host of a given checkout, for ab-builds.ts:
//   node bench/ab-server.mjs <checkout root> <actor name> <port> [redis url]
const [root, name, port, redisUrl] = process.argv.slice(2);
const { Host } = await import(`${root}/dist/src/mod.js`);
const { createBuiltinProvider } = await import(`${root}/dist/capabilities/mod.js`);
const { pino } = await import(`${root}/node_modules/pino/pino.js`);
const host = new Host({ logger: pino({ level: "silent" }) });
for (const capability of ["wascc:http_server", "wascc:keyvalue", "wascc:logging"]) await host.addProvider(createBuiltinProvider(capability));
const key = (await host.startActor(`${root}/actors/build/${name}_s.wasm`, { instances: name.startsWith("echo") ? 2 : 16 })).key;
await host.bind(key, "wascc:http_server", "default", { PORT: port });
if (redisUrl) await host.bind(key, "wascc:keyvalue", "default", { URL: redisUrl });
if (name === "visits") await host.bind(key, "wascc:logging", "default", {});
console.log("ready");
