/** Options every lattice-facing command shares. */
import type { Command } from "commander";
import { withNatsFlags, type NatsFlags } from "./nats-flags.js";

export interface LatticeOptions extends NatsFlags {
  lattice: string;
  latticeName: string;
  json?: boolean;
}

export function withLatticeOptions(command: Command): Command {
  return withNatsFlags(command)
    .option("--lattice <url>", "NATS URL of the lattice", process.env.WACTOR_LATTICE_URL ?? "nats://127.0.0.1:4222")
    .option("--lattice-name <name>", "lattice name", "default")
    .option("--json", "print JSON");
}
