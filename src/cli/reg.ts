/** `wactor reg push|pull`: signed actors to and from OCI registries. */
import { writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import { readModule } from "../host/read-module.js";
import { credentialsFrom } from "../oci/auth.js";
import type { Progress } from "../oci/client.js";
import { pullActor, pushActor, type RegistryOptions } from "../oci/registry.js";
import { printJson } from "./output.js";

interface RegFlags {
  user?: string;
  password?: string;
  insecure?: boolean;
  allowLatest?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
/** Below this, a transfer is too quick for progress lines to help. */
const PROGRESS_FROM_BYTES = 1024 * 1024;

/** One stderr line per tenth of a large blob. */
function progressPrinter(): (p: Progress) => void {
  const printed = new Map<string, number>();
  return (p) => {
    if (p.total < PROGRESS_FROM_BYTES) return;
    const tenth = Math.floor((p.done / p.total) * 10);
    if ((printed.get(p.digest) ?? -1) >= tenth) return;
    printed.set(p.digest, tenth);
    const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
    process.stderr.write(`${p.direction === "push" ? "pushing" : "pulling"} ${p.digest.slice(0, 19)}… ${mib(p.done)}/${mib(p.total)} MiB (${tenth * 10}%)\n`);
  };
}

function registryOptions(flags: RegFlags): RegistryOptions {
  const credentials = credentialsFrom(flags.user, flags.password);
  return { ...(credentials && { credentials }), insecure: flags.insecure === true, allowLatest: flags.allowLatest === true, onProgress: progressPrinter() };
}

function withRegistryOptions(command: Command): Command {
  return command
    .option("--user <name>", "registry user (default $OCI_REGISTRY_USER)")
    .option("--password <secret>", "registry password or token (default $OCI_REGISTRY_PASSWORD)")
    .option("--insecure", "plain HTTP to the registry (loopback registries are spoken to over HTTP anyway)")
    .option("--allow-latest", "accept a reference tagged ':latest' or without a tag")
    .option("--json", "print the result as JSON");
}

export function registerRegCommands(program: Command): void {
  const reg = program.command("reg").description("push and pull signed actors to and from OCI registries");

  withRegistryOptions(reg.command("push"))
    .description("verify an actor's claims and push it (wasm-to-oci media types, claims as annotations)")
    .argument("<ref>", "registry/repository:tag, e.g. registry.example.com/echo:v1")
    .argument("<file.wasm>", "signed actor module")
    .action(async (ref: string, file: string, flags: RegFlags) => {
      const pushed = await pushActor(ref, await readModule(file), basename(file), registryOptions(flags));
      const { claims, ...rest } = pushed;
      if (flags.json) printJson({ ...rest, module: claims.subject, name: claims.name ?? null, caps: claims.caps });
      else process.stdout.write(`pushed ${pushed.reference} ${pushed.digest} (${pushed.size} bytes, ${claims.name ?? "(unnamed)"} ${claims.subject})\n`);
    });

  withRegistryOptions(reg.command("pull"))
    .description("pull an actor, verify its claims (signature, hash, dates, issuer) and write it")
    .argument("<ref>", "registry/repository:tag or registry/repository@sha256:…")
    .requiredOption("-o, --output <file>", "where to write the module")
    .option("--digest <sha256:…>", "refuse unless the manifest has this digest")
    .option("--trusted-issuer <A…>", "accept only modules signed by this account (repeatable)", collect, [])
    .action(async (ref: string, flags: RegFlags & { output: string; digest?: string; trustedIssuer: string[] }) => {
      const pulled = await pullActor(ref, {
        ...registryOptions(flags),
        ...(flags.digest !== undefined && { expectDigest: flags.digest }),
        ...(flags.trustedIssuer.length > 0 && { trustedIssuers: flags.trustedIssuer }),
      });
      try {
        await writeFile(flags.output, pulled.bytes);
      } catch (err) {
        throw new WactorError("WACTOR_ERR_FILE_READ", `${flags.output}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const { bytes, claims, ...rest } = pulled;
      if (flags.json)
        printJson({ ...rest, size: bytes.byteLength, output: flags.output, module: claims.subject, name: claims.name ?? null, caps: claims.caps });
      else
        process.stdout.write(
          `pulled ${pulled.reference} ${pulled.digest} -> ${flags.output} (${bytes.byteLength} bytes, ${claims.name ?? "(unnamed)"} ${claims.subject})\n`,
        );
    });
}
