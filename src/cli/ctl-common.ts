/** What every `wactor ctl` verb shares: its options, a connected client, and text-or-JSON output. */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import { ControlClient, type Overridden } from "../lattice/mod.js";
import { integerArgument } from "./arguments.js";
import { withLatticeOptions, type LatticeOptions } from "./lattice-options.js";
import { natsAccessFromFlags } from "./nats-flags.js";
import { operatorSigner } from "./operator-key.js";
import { printJson } from "./output.js";

export interface LatticeOpts extends LatticeOptions {
  timeoutMs: string;
}

export function withCtlOptions(command: Command): Command {
  return withLatticeOptions(command).option("--timeout-ms <ms>", "deadline of one control request", "5000");
}

/** A file is uploaded and started; anything else is a ref (hash, module key, claims name) the lattice knows. */
export function actorSource(source: string): { path: string } | { ref: string } {
  const stat = statSync(source, { throwIfNoEntry: false });
  if (stat?.isFile()) return { path: source };
  if (stat || /\.wasm$/i.test(source)) throw new WactorError("WACTOR_ERR_FILE_READ", `${source}: not a readable .wasm file`);
  return { ref: source };
}

/** Runs `work` with a connected client and always closes it. */
export async function withClient<T>(opts: LatticeOpts, work: (client: ControlClient) => Promise<T>): Promise<T> {
  const signer = operatorSigner(opts);
  const client = await ControlClient.connect({
    url: opts.lattice,
    lattice: opts.latticeName,
    access: natsAccessFromFlags(opts),
    timeoutMs: integerArgument(opts.timeoutMs, "--timeout-ms", 100, 600_000),
    ...(signer && { signer }),
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export const out = (opts: { json?: boolean }, value: unknown, text: string): void => {
  if (opts.json) printJson(value);
  else process.stdout.write(text);
};

/** `--host <id>` as a placement, or every host. */
export const onHost = (opts: { host?: string }): { hostId?: string } => (opts.host !== undefined ? { hostId: opts.host } : {});

export const FORCE_HELP = "change it even when an application owns it (its reconciler restores it on its next round)";

/** The line a forced change over an application's property prints (stderr-worthy, but part of the result). */
export const overrideNote = (result: Overridden): string => (result.note ? `note: ${result.note}\n` : "");
