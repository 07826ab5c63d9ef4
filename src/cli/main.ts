import { Command, CommanderError } from "commander";
import { registerAppCommands } from "./app.js";
import { registerCallCommand } from "./call.js";
import { registerClaimsCommands } from "./claims.js";
import { registerCtlCommands } from "./ctl.js";
import { registerDevCommand } from "./dev.js";
import { registerKeysCommands } from "./keys.js";
import { registerNewCommand } from "./new.js";
import { registerRegCommands } from "./reg.js";
import { WACTOR_VERSION } from "../version.js";
import { reportError } from "./output.js";
import { registerUiCommand } from "./ui.js";
import { registerUpCommand } from "./up.js";

export function buildProgram(): Command {
  const program = new Command("wactor")
    .description("wactor: a waSCC-compatible actor runtime for server-side WebAssembly")
    .version(WACTOR_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerUpCommand(program);
  registerCallCommand(program);
  registerDevCommand(program);
  registerNewCommand(program);
  registerCtlCommands(program);
  registerAppCommands(program);
  registerUiCommand(program);
  registerKeysCommands(program);
  registerClaimsCommands(program);
  registerRegCommands(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with a CommanderError too; commander already printed them.
      process.exitCode = err.exitCode;
      return;
    }
    reportError(err, argv.includes("--json"));
  }
}
