/** The host's operations endpoint: /metrics (Prometheus), /healthz (alive), /readyz (serving). */
import { createServer, type Server } from "node:http";
import { HostMetrics } from "../host/metrics.js";
import type { Host } from "../host/host.js";
import { WactorError } from "../errors.js";

export async function startOpsServer(host: Host, port: number, isReady: () => boolean): Promise<Server> {
  const metrics = new HostMetrics(host);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      metrics.text().then(
        (body) => res.writeHead(200, { "content-type": metrics.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = isReady() && host.listActors().every((a) => a.state === "running");
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new WactorError(err.code === "EADDRINUSE" ? "WACTOR_ERR_PORT_IN_USE" : "WACTOR_ERR_BAD_ARGUMENT", `--metrics-port ${port}: ${err.message}`)),
    );
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}
