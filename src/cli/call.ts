import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { applyHostManifest } from "../deploy/apply-host-manifest.js";
import { loadHostManifest } from "../deploy/host-manifest.js";
import { WactorError } from "../errors.js";
import { KeyPair } from "../claims/nkeys.js";
import { Host } from "../host/host.js";
import { ControlClient } from "../lattice/control/control-client.js";
import { isOciReference } from "../oci/reference.js";
import { pullActorFromEnv } from "../oci/registry.js";
import { decodeCallReply, encodeCallPayload } from "./call-payload.js";
import { cliLogger } from "./logger.js";
import { natsAccessFromFlags, withNatsFlags, type NatsFlags } from "./nats-flags.js";
import { printJson } from "./output.js";
import { OP_RUN } from "../runtime/reactr/operations.js";

interface CallFlags extends NatsFlags {
  deadlineMs: string;
  lattice?: string;
  latticeName: string;
  clusterSeed?: string;
  data?: string;
  raw?: string;
  manifest?: string;
  logLevel: string;
}

function parseData(data: string | undefined): unknown {
  if (data === undefined) return undefined;
  const textValue = data.startsWith("@") ? readDataFile(data.slice(1)) : data;
  try {
    return JSON.parse(textValue) as unknown;
  } catch (err) {
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--data is not JSON: ${(err as Error).message}`);
  }
}

/** `--data` for `run`: the text itself, or a file's bytes with `@file`. */
function rawData(data: string): Uint8Array {
  if (!data.startsWith("@")) return new TextEncoder().encode(data);
  try {
    return new Uint8Array(readFileSync(data.slice(1)));
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${data.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function printRaw(bytes: Uint8Array): void {
  process.stdout.write(bytes);
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a && process.stdout.isTTY) process.stdout.write("\n");
}

function readDataFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A lattice call is signed like a host's: without a trusted cluster seed no host answers it. */
async function callInLattice(actorRef: string, operation: string, payload: Uint8Array, flags: CallFlags): Promise<Uint8Array> {
  const seed = flags.clusterSeed ?? process.env.WACTOR_CLUSTER_SEED;
  if (!seed)
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "a lattice call is signed: give the lattice's cluster seed with --cluster-seed or WACTOR_CLUSTER_SEED");
  const client = await ControlClient.connect({ url: flags.lattice!, lattice: flags.latticeName, access: natsAccessFromFlags(flags) });
  try {
    return await client.invokeActor(actorRef, operation, payload, { clusterKey: KeyPair.fromSeed(seed) });
  } finally {
    await client.close();
  }
}

export function registerCallCommand(program: Command): void {
  withNatsFlags(program.command("call"))
    .description("invoke one operation of an actor ad hoc and print the decoded reply")
    .argument("<actor>", "actor module (.wasm), an OCI reference (registry/repo:tag), or its module key / claims name in --manifest")
    .argument("<operation>", "operation, e.g. HandleRequest")
    .option(
      "-d, --data <json|@file>",
      "payload as JSON (HandleRequest: {method, path, queryString, header, body}); for a runnable's 'run', the raw text or file",
    )
    .option("--raw <text>", "payload as raw UTF-8 bytes instead of MessagePack")
    .option("-m, --manifest <file>", "start this host manifest first (providers, bindings, other actors)")
    .option("--deadline-ms <ms>", "per-invocation deadline for an actor started from a file", "10000")
    .option("--lattice <url>", "call the actor wherever it runs in this lattice (NATS URL) instead of starting it here")
    .option("--lattice-name <name>", "lattice name", "default")
    .option("--cluster-seed <seed>", "cluster seed (SC…) that signs the lattice call; default $WACTOR_CLUSTER_SEED")
    .option("--log-level <level>", "log level", "warn")
    .action(async (actorRef: string, operation: string, flags: CallFlags) => {
      // A runnable's `run` takes raw input and answers raw output (docs/runnables.md).
      const rawRun = operation === OP_RUN;
      const payload =
        rawRun && flags.data !== undefined && flags.raw === undefined
          ? rawData(flags.data)
          : encodeCallPayload(operation, rawRun ? undefined : parseData(flags.data), flags.raw);
      const print = (reply: Uint8Array): void => (rawRun ? printRaw(reply) : printJson(decodeCallReply(reply)));
      if (flags.lattice) {
        if (flags.manifest)
          throw new WactorError(
            "WACTOR_ERR_BAD_ARGUMENT",
            "--lattice calls an actor already running in the lattice; --manifest starts one here: give one of them",
          );
        print(await callInLattice(actorRef, operation, payload, flags));
        return;
      }
      const logger = cliLogger(flags.logLevel);
      const host = flags.manifest ? (await applyHostManifest(await loadHostManifest(flags.manifest), { logger })).host : new Host({ logger });
      try {
        let key = host.resolveActor(actorRef);
        if (!key) {
          const fromRegistry = !existsSync(actorRef) && isOciReference(actorRef);
          if (!existsSync(actorRef) && !fromRegistry) {
            throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `'${actorRef}' is neither a module file, an OCI reference nor an actor of the manifest`);
          }
          const deadlineMs = Number(flags.deadlineMs);
          if (!Number.isInteger(deadlineMs) || deadlineMs < 1)
            throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--deadline-ms '${flags.deadlineMs}' is not a positive integer`);
          const source = fromRegistry ? (await pullActorFromEnv(actorRef)).bytes : actorRef;
          key = (await host.startActor(source, { instances: 1, deadlineMs })).key;
        }
        print(await host.invoke(key, operation, payload));
      } finally {
        await host.shutdown();
      }
    });
}
