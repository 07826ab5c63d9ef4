/** Options every lattice-facing command shares. */
import type { Command } from "commander";
import { withNatsFlags, type NatsFlags } from "./nats-flags.js";
import type { OperatorFlags } from "./operator-key.js";

export interface LatticeOptions extends NatsFlags, OperatorFlags {
  lattice: string;
  latticeName: string;
  json?: boolean;
}

export function withLatticeOptions(command: Command): Command {
  return withNatsFlags(command)
    .option("--lattice <url>", "NATS URL of the lattice", process.env.WACTOR_LATTICE_URL ?? "nats://127.0.0.1:4222")
    .option("--lattice-name <name>", "lattice name", "default")
    .option("--operator-seed <seed|file>", "operator seed (SO…) that signs state-changing requests (prefer env WACTOR_OPERATOR_SEED or a context)")
    .option("--context <name>", "context file holding the operator seed ('wactor ctl context set'; env WACTOR_CONTEXT)")
    .option("--json", "print JSON");
}
