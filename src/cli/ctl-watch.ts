/** `wactor ctl watch`: the live event stream until Ctrl-C or `--count` events. */
import type { Command } from "commander";
import { RecordProofs, type LatticeEvent } from "../lattice/mod.js";
import { integerArgument } from "./arguments.js";
import { formatEvent } from "./ctl-format.js";
import { withClient, withCtlOptions, type LatticeOpts } from "./ctl-common.js";
import { onStopSignal } from "./signals.js";

export function registerCtlWatch(ctl: Command): void {
  withCtlOptions(ctl.command("watch").description("the live event stream (host_gone for hosts that miss three heartbeats)"))
    .option("--count <n>", "exit after n events")
    .option("--heartbeats", "show host_heartbeat events too (one whose proof fails is always shown, marked)")
    .option("--trusted-cluster <key...>", "the lattice's cluster keys (C…): a heartbeat signed by any other is marked")
    .action((opts: LatticeOpts & { count?: string; heartbeats?: boolean; trustedCluster?: string[] }) => {
      const limit = opts.count === undefined ? Infinity : integerArgument(opts.count, "--count", 1, 1_000_000);
      const proofs = new RecordProofs(opts.trustedCluster);
      return withClient(opts, async (c) => {
        await new Promise<void>((resolve, reject) => {
          let seen = 0;
          const finish = (): void => {
            stopWatch();
            stopListening();
            resolve();
          };
          const stopWatch = c.watch((event: LatticeEvent) => {
            const e = proofs.mark(event);
            if (e.type === "host_heartbeat" && !opts.heartbeats && e.proof?.ok !== false) return;
            if (seen >= limit) return;
            seen++;
            process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : formatEvent(e));
            if (seen >= limit) finish();
          });
          const stopListening = onStopSignal(finish);
          c.flush().then(() => process.stderr.write(`watching lattice '${opts.latticeName}' (Ctrl-C to stop)\n`), reject);
        });
      });
    });
}
