/** `wactor ctl context`: where the CLI keeps the operator seed it signs with (like wash contexts). */
import type { Command } from "commander";
import { contextDir, operatorSigner, saveContext } from "./operator-key.js";
import { printJson } from "./output.js";

export function registerCtlContext(ctl: Command): void {
  const context = ctl.command("context").description(`operator keys the CLI signs with, kept in ${contextDir()}`);
  context
    .command("set")
    .description("store an operator seed (SO…) in a context (file mode 0600)")
    .requiredOption("--operator-seed <seed>", "operator seed (SO…); 'wactor keys gen operator' makes one")
    .option("--name <name>", "context name", "default")
    .action((opts: { operatorSeed: string; name: string }) => {
      process.stdout.write(`${saveContext(opts.name, opts.operatorSeed)}\n`);
    });
  context
    .command("show")
    .description("the operator key requests would be signed with (never the seed)")
    .option("--name <name>", "context name")
    .option("--json", "print JSON")
    .action((opts: { name?: string; json?: boolean }) => {
      const signer = operatorSigner(opts.name !== undefined ? { context: opts.name } : {});
      if (opts.json) printJson({ operator: signer?.publicKey ?? null });
      else process.stdout.write(signer ? `operator ${signer.publicKey}\n` : "no operator key: requests go unsigned\n");
    });
}
