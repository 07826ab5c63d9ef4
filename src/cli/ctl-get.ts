/** `wactor ctl get hosts|inventory|claims`: read the lattice's state. */
import type { Command } from "commander";
import { formatClaims, formatHosts, formatInventory, formatLatticeState } from "./ctl-format.js";
import { out, withClient, withCtlOptions, type LatticeOpts } from "./ctl-common.js";

export function registerCtlGet(ctl: Command): void {
  const get = ctl.command("get").description("read the lattice's state");
  withCtlOptions(get.command("hosts").description("hosts that answer (id, labels, uptime, version)")).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const hosts = await c.getHosts();
      out(opts, hosts, formatHosts(hosts));
    }),
  );
  withCtlOptions(get.command("lattice").description("where the lattice's state lives: its buckets, their replicas and replica health")).action(
    (opts: LatticeOpts) =>
      withClient(opts, async (c) => {
        const state = await c.getLatticeState();
        out(opts, state, formatLatticeState(state));
      }),
  );
  withCtlOptions(get.command("inventory").argument("<host>", "host id (N…)").description("actors, providers and bindings of one host")).action(
    (hostId: string, opts: LatticeOpts) =>
      withClient(opts, async (c) => {
        const inv = await c.getInventory(hostId);
        out(opts, inv, formatInventory(inv));
      }),
  );
  withCtlOptions(get.command("claims").description("claims of every actor that ran in the lattice")).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const claims = await c.getClaims();
      out(opts, claims, formatClaims(claims));
    }),
  );
}
