import { Command, CommanderError } from "commander";
import { registerAppCommands } from "./app.js";
import { registerBundleCommands } from "./bundle.js";
import { registerCallCommand } from "./call.js";
import { registerClaimsCommands } from "./claims.js";
import { registerCtlCommands } from "./ctl.js";
import { registerDevCommand } from "./dev.js";
import { registerKeysCommands } from "./keys.js";
import { registerNewCommand } from "./new.js";
import { registerRegCommands } from "./reg.js";
import { WactorError } from "../errors.js";
import { WACTOR_VERSION } from "../version.js";
import { reportError } from "./output.js";
import { registerUiCommand } from "./ui.js";
import { registerUpCommand } from "./up.js";

export function buildProgram(): Command {
  const program = new Command("wactor")
    .description("wactor: a waSCC-compatible actor runtime for server-side WebAssembly")
    .version(WACTOR_VERSION)
    .exitOverride()
    // Usage errors are printed in the catalog form by main(), not by commander.
    .configureOutput({ outputError: () => {} });
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
  registerBundleCommands(program);
  return program;
}

/** Help and version end with a CommanderError too, after commander printed them. */
const PRINTED_BY_COMMANDER = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

/** A commander usage error (`error: unknown option '--bogus'`) as the catalog's bad argument. */
function usageError(err: CommanderError): WactorError {
  return new WactorError("WACTOR_ERR_BAD_ARGUMENT", err.message.replace(/^error: /, ""));
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError && PRINTED_BY_COMMANDER.has(err.code)) {
      process.exitCode = err.exitCode;
      return;
    }
    reportError(err instanceof CommanderError ? usageError(err) : err, argv.includes("--json"));
  }
}
