/** `wactor ctl`: the lattice's control interface from the command line (a thin face over ControlClient). */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import { ControlClient, type LatticeEvent } from "../lattice/mod.js";
import { formatClaims, formatEvent, formatHosts, formatLatticeState, formatInventory, formatLinkPut, formatLinks, maskLink } from "./ctl-format.js";
import { withLatticeOptions, type LatticeOptions } from "./lattice-options.js";
import { natsAccessFromFlags } from "./nats-flags.js";
import { printJson } from "./output.js";

interface LatticeOpts extends LatticeOptions {
  timeoutMs: string;
}

function withCtlOptions(command: Command): Command {
  return withLatticeOptions(command).option("--timeout-ms <ms>", "deadline of one control request", "5000");
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${what} '${value}' must be an integer from ${min} to ${max}`);
  return n;
}

function pairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${flag} '${item}' must be KEY=VALUE`);
    const key = item.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `${flag} ${key} given twice`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}

/** A file is uploaded and started; anything else is a ref (hash, module key, claims name) the lattice knows. */
function actorSource(source: string): { path: string } | { ref: string } {
  const stat = statSync(source, { throwIfNoEntry: false });
  if (stat?.isFile()) return { path: source };
  if (stat || /\.wasm$/i.test(source)) throw new WactorError("WACTOR_ERR_FILE_READ", `${source}: not a readable .wasm file`);
  return { ref: source };
}

/** Runs `work` with a connected client and always closes it. */
async function withClient<T>(opts: LatticeOpts, work: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect({ url: opts.lattice, lattice: opts.latticeName, access: natsAccessFromFlags(opts), timeoutMs: integer(opts.timeoutMs, "--timeout-ms", 100, 600_000) });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

const out = (opts: { json?: boolean }, value: unknown, text: string): void => {
  if (opts.json) printJson(value);
  else process.stdout.write(text);
};

export function registerCtlCommands(program: Command): void {
  const ctl = program.command("ctl").description("control a lattice: hosts, inventories, claims, actors, providers, links, events");
  const get = ctl.command("get").description("read the lattice's state");
  withCtlOptions(get.command("hosts").description("hosts that answer (id, labels, uptime, version)")).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const hosts = await c.getHosts();
      out(opts, hosts, formatHosts(hosts));
    }),
  );
  withCtlOptions(get.command("lattice").description("where the lattice's state lives: its buckets, their replicas and replica health")).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const state = await c.getLatticeState();
      out(opts, state, formatLatticeState(state));
    }),
  );
  withCtlOptions(get.command("inventory").argument("<host>", "host id (N…)").description("actors, providers and bindings of one host")).action((hostId: string, opts: LatticeOpts) =>
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

  const start = ctl.command("start").description("start something on a host");
  withCtlOptions(start.command("actor").argument("<path|ref>", "a signed .wasm file, or a hash / module key / name the lattice knows"))
    .option("--host <id>", "host to start it on")
    .option("--constraint <key=value...>", "host labels that must match")
    .option("--instances <n>", "instances on that host")
    .description("start an actor (a file is uploaded to the lattice's object store first)")
    .action((source: string, opts: LatticeOpts & { host?: string; constraint?: string[]; instances?: string }) => {
      // Arguments are checked before connecting: a typo is reported as such, not as an unreachable lattice.
      const constraints = pairs(opts.constraint, "--constraint");
      if (opts.host !== undefined && Object.keys(constraints).length > 0) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--host and --constraint exclude each other");
      const placement = {
        ...(opts.host !== undefined ? { hostId: opts.host } : { constraints }),
        ...(opts.instances !== undefined && { instances: integer(opts.instances, "--instances", 1, 256) }),
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
  const stop = ctl.command("stop").description("stop something");
  withCtlOptions(stop.command("actor").argument("<key|name>", "actor").option("--host <id>", "only on this host").description("stop an actor (on every host running it unless --host)")).action(
    (ref: string, opts: LatticeOpts & { host?: string }) =>
      withClient(opts, async (c) => {
        const results = await c.stopActor(ref, opts.host !== undefined ? { hostId: opts.host } : {});
        out(opts, results, results.map((r) => `stopped ${r.key} on ${r.hostId}\n`).join(""));
      }),
  );
  withCtlOptions(stop.command("provider").argument("<capability>", "capability id").option("--host <id>", "only on this host"))
    .description("stop a provider (on every host running it unless --host); its bindings are released, links stay stored")
    .action((capabilityId: string, opts: LatticeOpts & { host?: string }) =>
      withClient(opts, async (c) => {
        const results = await c.stopProvider(capabilityId, opts.host !== undefined ? { hostId: opts.host } : {});
        out(opts, results, results.map((r) => `stopped provider ${r.capabilityId} on ${r.hostId}\n`).join(""));
      }),
    );
  const scale = ctl.command("scale").description("change instance counts");
  withCtlOptions(scale.command("actor").argument("<key|name>", "actor").argument("<instances>", "instances per host").option("--host <id>", "only on this host").description("set an actor's instances")).action(
    (ref: string, count: string, opts: LatticeOpts & { host?: string }) => {
      const instances = integer(count, "instances", 1, 256);
      return withClient(opts, async (c) => {
        const results = await c.scaleActor(ref, instances, opts.host !== undefined ? { hostId: opts.host } : {});
        out(opts, results, results.map((r) => `${r.key} on ${r.hostId}: ${r.instances} instances\n`).join(""));
      });
    },
  );

  const link = ctl.command("link").description("links between actors and capabilities (stored in JetStream KV)");
  withCtlOptions(link.command("put").argument("<actor>", "module key or name").argument("<capability>", "capability id"))
    .option("--binding <name>", "binding name", "default")
    .option("--value <KEY=VALUE...>", "binding values")
    .description("put a link; every provider host validates it first and it is stored only if none refused")
    .action((actor: string, capabilityId: string, opts: LatticeOpts & { binding: string; value?: string[] }) => {
      const values = pairs(opts.value, "--value");
      return withClient(opts, async (c) => {
        const result = await c.putLink({ actor, capabilityId, binding: opts.binding, values });
        const shown = { ...result, link: maskLink(result.link) };
        out(opts, shown, formatLinkPut(shown));
        if (!result.stored) process.exitCode = 1;
      });
    });
  withCtlOptions(link.command("del").argument("<actor>", "module key or name").argument("<capability>", "capability id"))
    .option("--binding <name>", "binding name", "default")
    .description("delete a link; hosts unbind it")
    .action((actor: string, capabilityId: string, opts: LatticeOpts & { binding: string }) =>
      withClient(opts, async (c) => {
        const removed = await c.deleteLink(actor, capabilityId, opts.binding);
        out(opts, maskLink(removed), `deleted ${removed.actorKey} -> ${removed.capabilityId} '${removed.binding}'\n`);
      }),
    );
  withCtlOptions(link.command("get").description("every link, values with secret-looking names masked")).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const links = await c.getLinks();
      out(opts, links.map(maskLink), formatLinks(links));
    }),
  );

  withCtlOptions(ctl.command("watch").description("the live event stream (host_gone for hosts that miss three heartbeats)"))
    .option("--count <n>", "exit after n events")
    .option("--heartbeats", "show host_heartbeat events too")
    .action((opts: LatticeOpts & { count?: string; heartbeats?: boolean }) => {
      const limit = opts.count === undefined ? Infinity : integer(opts.count, "--count", 1, 1_000_000);
      return withClient(opts, async (c) => {
        await new Promise<void>((resolve, reject) => {
          let seen = 0;
          const finish = (): void => {
            stopWatch();
            process.off("SIGINT", finish);
            process.off("SIGTERM", finish);
            resolve();
          };
          const stopWatch = c.watch((e: LatticeEvent) => {
            if (e.type === "host_heartbeat" && !opts.heartbeats) return;
            if (seen >= limit) return;
            seen++;
            process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : formatEvent(e));
            if (seen >= limit) finish();
          });
          process.on("SIGINT", finish);
          process.on("SIGTERM", finish);
          c.flush().then(() => process.stderr.write(`watching lattice '${opts.latticeName}' (Ctrl-C to stop)\n`), reject);
        });
      });
    });
}
