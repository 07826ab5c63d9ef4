/** `wactor ctl`: the lattice's control interface from the command line (a thin face over ControlClient), one file per verb. */
import type { Command } from "commander";
import { registerCtlScale, registerCtlStart, registerCtlStop } from "./ctl-actors.js";
import { registerCtlContext } from "./ctl-context.js";
import { registerCtlGet } from "./ctl-get.js";
import { registerCtlNatsRoles } from "./ctl-nats-roles.js";
import { registerCtlLink } from "./ctl-link.js";
import { registerCtlWatch } from "./ctl-watch.js";

export function registerCtlCommands(program: Command): void {
  const ctl = program.command("ctl").description("control a lattice: hosts, inventories, claims, actors, providers, links, events");
  registerCtlGet(ctl);
  registerCtlStart(ctl);
  registerCtlStop(ctl);
  registerCtlScale(ctl);
  registerCtlLink(ctl);
  registerCtlWatch(ctl);
  registerCtlContext(ctl);
  registerCtlNatsRoles(ctl);
}
