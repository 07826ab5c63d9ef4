import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { applyHostManifest } from "../deploy/apply-host-manifest.js";
import { loadHostManifest } from "../deploy/host-manifest.js";
import { WactorError } from "../errors.js";
import { Host } from "../host/host.js";
import { decodeCallReply, encodeCallPayload } from "./call-payload.js";
import { cliLogger } from "./logger.js";
import { printJson } from "./output.js";

interface CallFlags {
  deadlineMs: string;
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

function readDataFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerCallCommand(program: Command): void {
  program
    .command("call")
    .description("invoke one operation of an actor ad hoc and print the decoded reply")
    .argument("<actor>", "actor module (.wasm), or its module key / claims name in --manifest")
    .argument("<operation>", "operation, e.g. HandleRequest")
    .option("-d, --data <json|@file>", "payload as JSON (HandleRequest: {method, path, queryString, header, body})")
    .option("--raw <text>", "payload as raw UTF-8 bytes instead of MessagePack")
    .option("-m, --manifest <file>", "start this host manifest first (providers, bindings, other actors)")
    .option("--deadline-ms <ms>", "per-invocation deadline for an actor started from a file", "10000")
    .option("--log-level <level>", "log level", "warn")
    .action(async (actorRef: string, operation: string, flags: CallFlags) => {
      const payload = encodeCallPayload(operation, parseData(flags.data), flags.raw);
      const logger = cliLogger(flags.logLevel);
      const host = flags.manifest ? (await applyHostManifest(await loadHostManifest(flags.manifest), { logger })).host : new Host({ logger });
      try {
        let key = host.resolveActor(actorRef);
        if (!key) {
          if (!existsSync(actorRef)) {
            throw new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `'${actorRef}' is neither a module file nor an actor of the manifest`);
          }
          const deadlineMs = Number(flags.deadlineMs);
          if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--deadline-ms '${flags.deadlineMs}' is not a positive integer`);
          key = (await host.startActor(actorRef, { instances: 1, deadlineMs })).key;
        }
        const reply = await host.invoke(key, operation, payload);
        printJson(decodeCallReply(reply));
      } finally {
        await host.shutdown();
      }
    });
}
