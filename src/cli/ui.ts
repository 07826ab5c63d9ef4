/** `wactor ui`: the lattice dashboard. */
import type { Command } from "commander";
import { parsePort } from "./arguments.js";
import { startDashboard } from "../ui/server.js";
import { waitForSignal } from "./signals.js";
import { natsAccessFromFlags, withNatsFlags, type NatsFlags } from "./nats-flags.js";
import { operatorSigner, type OperatorFlags } from "./operator-key.js";

export function registerUiCommand(program: Command): void {
  withNatsFlags(program.command("ui"))
    .description("serve a live dashboard of a lattice (hosts, actors, links, applications, events)")
    .option("--lattice <url>", "NATS URL of the lattice", process.env.WACTOR_LATTICE_URL ?? "nats://127.0.0.1:4222")
    .option("--lattice-name <name>", "lattice name", "default")
    .option("--port <port>", "port of the dashboard", "4000")
    .option("--listen <address>", "interface; anything but 127.0.0.1 requires the printed token", "127.0.0.1")
    .option("--operator-seed <seed|file>", "operator seed (SO…) the dashboard's actions are signed with (or env WACTOR_OPERATOR_SEED, or a context)")
    .option("--context <name>", "context file holding the operator seed")
    .option("--trusted-cluster <key...>", "the lattice's cluster keys (C…): heartbeats and statuses signed by any other are marked")
    .action(async (opts: NatsFlags & OperatorFlags & { lattice: string; latticeName: string; port: string; listen: string; trustedCluster?: string[] }) => {
      const signer = operatorSigner(opts);
      const dashboard = await startDashboard({
        url: opts.lattice,
        lattice: opts.latticeName,
        access: natsAccessFromFlags(opts),
        port: parsePort(opts.port, "--port"),
        host: opts.listen,
        ...(signer && { signer }),
        ...(opts.trustedCluster && { trustedClusters: opts.trustedCluster }),
      });
      process.stdout.write(`wactor dashboard: ${dashboard.url}\n`);
      if (dashboard.token) process.stdout.write(`token (required on every request): ${dashboard.token}\n`);
      await waitForSignal();
      await dashboard.close();
    });
}
