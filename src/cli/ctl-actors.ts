/** `wactor ctl start|stop|scale actor` and `start|stop provider`: what runs where. */
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import { checkInstances } from "../host/instance-count.js";
import { scaleActorByHand, stopActorByHand } from "../lattice/mod.js";
import { keyValuePairs } from "./arguments.js";
import { actorSource, FORCE_HELP, onHost, out, overrideNote, withClient, withCtlOptions, type LatticeOpts } from "./ctl-common.js";

export function registerCtlStart(ctl: Command): void {
  const start = ctl.command("start").description("start something on a host");
  withCtlOptions(
    start.command("actor").argument("<path|ref>", "a signed .wasm file, a hash / module key / name the lattice knows, or an OCI reference (the host pulls it)"),
  )
    .option("--host <id>", "host to start it on")
    .option("--constraint <key=value...>", "host labels that must match")
    .option("--instances <n>", "instances on that host")
    .description("start an actor (a file is uploaded to the lattice's object store first)")
    .action((source: string, opts: LatticeOpts & { host?: string; constraint?: string[]; instances?: string }) => {
      // Arguments are checked before connecting: a typo is reported as such, not as an unreachable lattice.
      const constraints = keyValuePairs(opts.constraint, "--constraint");
      if (opts.host !== undefined && Object.keys(constraints).length > 0)
        throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--host and --constraint exclude each other");
      const placement = {
        ...(opts.host !== undefined ? { hostId: opts.host } : { constraints }),
        ...(opts.instances !== undefined && { instances: checkInstances(opts.instances, "--instances") }),
      };
      const from = actorSource(source);
      return withClient(opts, async (c) => {
        const result = await c.startActor(from, placement);
        out(opts, result, `started ${result.name ? `${result.name} ` : ""}${result.key} on ${result.hostId} (${result.instances ?? "?"} instances)\n`);
      });
    });
  withCtlOptions(start.command("provider").argument("<capability>", "a built-in capability id, e.g. wascc:keyvalue"))
    .requiredOption("--host <id>", "host to start it on")
    .description("start a built-in provider on a host; the stored links of its capability are applied there")
    .action((capabilityId: string, opts: LatticeOpts & { host: string }) =>
      withClient(opts, async (c) => {
        const result = await c.startProvider(opts.host, capabilityId);
        out(opts, result, `provider ${result.capabilityId} runs on ${result.hostId}\n`);
      }),
    );
}

export function registerCtlStop(ctl: Command): void {
  const stop = ctl.command("stop").description("stop something");
  withCtlOptions(
    stop
      .command("actor")
      .argument("<key|name>", "actor")
      .option("--host <id>", "only on this host")
      .option("--force", FORCE_HELP)
      .description("stop an actor (on every host running it unless --host)"),
  ).action((ref: string, opts: LatticeOpts & { host?: string; force?: boolean }) =>
    withClient(opts, async (c) => {
      const stopped = await stopActorByHand(c, ref, onHost(opts), opts.force);
      out(opts, stopped.owner ? stopped : stopped.results, stopped.results.map((r) => `stopped ${r.key} on ${r.hostId}\n`).join("") + overrideNote(stopped));
    }),
  );
  withCtlOptions(stop.command("provider").argument("<capability>", "capability id").option("--host <id>", "only on this host"))
    .description("stop a provider (on every host running it unless --host); its bindings are released, links stay stored")
    .action((capabilityId: string, opts: LatticeOpts & { host?: string }) =>
      withClient(opts, async (c) => {
        const results = await c.stopProvider(capabilityId, onHost(opts));
        out(opts, results, results.map((r) => `stopped provider ${r.capabilityId} on ${r.hostId}\n`).join(""));
      }),
    );
}

export function registerCtlScale(ctl: Command): void {
  const scale = ctl.command("scale").description("change instance counts");
  withCtlOptions(
    scale
      .command("actor")
      .argument("<key|name>", "actor")
      .argument("<instances>", "instances per host")
      .option("--host <id>", "only on this host")
      .option("--force", FORCE_HELP)
      .description("set an actor's instances"),
  ).action((ref: string, count: string, opts: LatticeOpts & { host?: string; force?: boolean }) => {
    const instances = checkInstances(count);
    return withClient(opts, async (c) => {
      const scaled = await scaleActorByHand(c, ref, instances, onHost(opts), opts.force);
      out(
        opts,
        scaled.owner ? scaled : scaled.results,
        scaled.results.map((r) => `${r.key} on ${r.hostId}: ${r.instances} instances\n`).join("") + overrideNote(scaled),
      );
    });
  });
}
