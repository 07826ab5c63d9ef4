/** `wactor ctl link put|del|get`: links between actors and capabilities (JetStream KV). */
import type { Command } from "commander";
import { keyValuePairs } from "./arguments.js";
import { formatLinkPut, formatLinks, maskLink } from "./ctl-format.js";
import { out, withClient, withCtlOptions, type LatticeOpts } from "./ctl-common.js";

export function registerCtlLink(ctl: Command): void {
  const link = ctl.command("link").description("links between actors and capabilities (stored in JetStream KV)");
  withCtlOptions(link.command("put").argument("<actor>", "module key or name").argument("<capability>", "capability id"))
    .option("--binding <name>", "binding name", "default")
    .option("--value <KEY=VALUE...>", "binding values")
    .description("put a link; every provider host validates it first and it is stored only if none refused")
    .action((actor: string, capabilityId: string, opts: LatticeOpts & { binding: string; value?: string[] }) => {
      const values = keyValuePairs(opts.value, "--value");
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
}
