/** `wactor ctl nats-roles`: the nats-server permissions of each lattice role, for one lattice (docs/nats-roles.conf is the default's). */
import type { Command } from "commander";
import { rolesConfig } from "../lattice/trust/nats-roles.js";

export function registerCtlNatsRoles(ctl: Command): void {
  ctl
    .command("nats-roles")
    .description("print nats-server users with least-privilege permissions per role: host, operator, dashboard (read-only), caller (invoke only)")
    .option("--lattice-name <name>", "lattice name", "default")
    .action((opts: { latticeName: string }) => {
      process.stdout.write(rolesConfig(opts.latticeName));
    });
}
