/** `wactor ctl link put|del|get`: links between actors and capabilities (JetStream KV). */
import type { Command } from "commander";
import { deleteLinkByHand, putLinkByHand } from "../lattice/mod.js";
import { keyValuePairs } from "./arguments.js";
import { formatLinkPut, formatLinks, maskLink } from "./ctl-format.js";
import { FORCE_HELP, out, overrideNote, withClient, withCtlOptions, type LatticeOpts } from "./ctl-common.js";

export function registerCtlLink(ctl: Command): void {
  const link = ctl.command("link").description("links between actors and capabilities (stored in JetStream KV)");
  withCtlOptions(link.command("put").argument("<actor>", "module key or name").argument("<capability>", "capability id"))
    .option("--binding <name>", "binding name", "default")
    .option("--value <KEY=VALUE...>", "binding values")
    .option("--force", FORCE_HELP)
    .description("put a link; every provider host validates it first and it is stored only if none refused")
    .action((actor: string, capabilityId: string, opts: LatticeOpts & { binding: string; value?: string[]; force?: boolean }) => {
      const values = keyValuePairs(opts.value, "--value");
      return withClient(opts, async (c) => {
        const result = await putLinkByHand(c, { actor, capabilityId, binding: opts.binding, values }, opts.force);
        const shown = { ...result, link: maskLink(result.link) };
        out(opts, shown, formatLinkPut(shown) + overrideNote(result));
        if (!result.stored) process.exitCode = 1;
      });
    });
  withCtlOptions(link.command("del").argument("<actor>", "module key or name").argument("<capability>", "capability id"))
    .option("--binding <name>", "binding name", "default")
    .option("--force", FORCE_HELP)
    .description("delete a link; hosts unbind it")
    .action((actor: string, capabilityId: string, opts: LatticeOpts & { binding: string; force?: boolean }) =>
      withClient(opts, async (c) => {
        const removed = await deleteLinkByHand(c, actor, capabilityId, opts.binding, opts.force);
        out(
          opts,
          { ...removed, values: maskLink(removed).values },
          `deleted ${removed.actorKey} -> ${removed.capabilityId} '${removed.binding}'\n${overrideNote(removed)}`,
        );
      }),
    );
  withCtlOptions(
    link.command("get").description("every link with the application that owns it (unmanaged: made by hand), values with secret-looking names masked"),
  ).action((opts: LatticeOpts) =>
    withClient(opts, async (c) => {
      const links = await c.getLinks();
      out(opts, links.map(maskLink), formatLinks(links));
    }),
  );
}
