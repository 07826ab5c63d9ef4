/** `wactor new actor <name> [--template …]`: start an actor project in one command. */
import { basename, relative } from "node:path";
import type { Command } from "commander";
import { ACTOR_TEMPLATES, DEFAULT_ACTOR_TEMPLATE, newActorProject } from "../scaffold/actor-project.js";

const templateList = (): string =>
  Object.entries(ACTOR_TEMPLATES)
    .map(([name, t]) => `  ${name.padEnd(16)}${t.description}; claims ${t.caps.join(", ")}${name === DEFAULT_ACTOR_TEMPLATE ? " (default)" : ""}`)
    .join("\n");

export function registerNewCommand(program: Command): void {
  const create = program
    .command("new")
    .description("start a new project from a template")
    .addHelpText("after", `\nTemplates (wactor new actor <name> --template <t>):\n${templateList()}\n`);

  create
    .command("actor")
    .description("a folder <name>/ with an actor's source, package.json (npm run build: compile and sign) and README")
    .argument("<name>", "actor name: the folder, the npm package and the module's claims name (or a path ending in it, e.g. ../hello)")
    .option("-t, --template <template>", `template: ${Object.keys(ACTOR_TEMPLATES).join(", ")}`, DEFAULT_ACTOR_TEMPLATE)
    .addHelpText("after", `\nTemplates:\n${templateList()}\n`)
    .action(async (target: string, flags: { template: string }) => {
      const result = await newActorProject(process.cwd(), target, flags.template);
      const where = relative(process.cwd(), result.dir) || ".";
      const name = basename(result.dir);
      process.stdout.write(
        `Created ${where}/ (${flags.template}): ${result.files.join(", ")}\n  Module key: ${result.moduleKey} (dev keys in ${where}/.wactor/, keep them out of git)\n\n` +
          `  cd ${where}\n  npm install\n  npm run build          # build/${name}_s.wasm\n  npx wactor call build/${name}_s.wasm HandleRequest\n  npm run dev            # live reload on http://127.0.0.1:8080/\n`,
      );
    });
}
