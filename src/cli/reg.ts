/** `wactor reg push|pull`: signed actors and bundles to and from OCI registries. */
import { writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import { readModule } from "../host/read-module.js";
import { credentialsFrom } from "../oci/auth.js";
import type { Progress } from "../oci/client.js";
import { pullArtifact, pushBundle } from "../oci/bundles.js";
import { pushActor, type RegistryOptions } from "../oci/registry.js";
import { printJson } from "./output.js";
import type { LoadedBundle } from "../bundle/load.js";

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
    .description("verify an actor's claims, or a bundle's seal and claims, and push it (actors: wasm-to-oci media types, claims as annotations)")
    .argument("<ref>", "registry/repository:tag, e.g. registry.example.com/echo:v1")
    .argument("<file>", "signed actor module (.wasm) or signed bundle (.wasm.zip)")
    .action(async (ref: string, file: string, flags: RegFlags) => {
      const bytes = await readModule(file);
      if (isZip(bytes)) {
        const { bundle, ...pushed } = await pushBundle(ref, bytes, basename(file), registryOptions(flags));
        const d = bundle.directive;
        if (flags.json) printJson({ ...pushed, kind: "bundle", ...bundleFacts(bundle) });
        else
          process.stdout.write(
            `pushed ${pushed.reference} ${pushed.digest} (${pushed.size} bytes, bundle ${d.identifier} ${d.appVersion}, sealed by ${bundle.seal.issuer})\n`,
          );
        return;
      }
      const pushed = await pushActor(ref, bytes, basename(file), registryOptions(flags));
      const { claims, ...rest } = pushed;
      if (flags.json) printJson({ ...rest, kind: "actor", module: claims.subject, name: claims.name ?? null, caps: claims.caps });
      else process.stdout.write(`pushed ${pushed.reference} ${pushed.digest} (${pushed.size} bytes, ${claims.name ?? "(unnamed)"} ${claims.subject})\n`);
    });

  withRegistryOptions(reg.command("pull"))
    .description("pull an actor or a bundle, verify it (signature, hash, dates, issuer; a bundle's seal) and write it")
    .argument("<ref>", "registry/repository:tag or registry/repository@sha256:…")
    .requiredOption("-o, --output <file>", "where to write the module or bundle")
    .option("--digest <sha256:…>", "refuse unless the manifest has this digest")
    .option("--trusted-issuer <A…>", "accept only what this account signed (repeatable)", collect, [])
    .action(async (ref: string, flags: RegFlags & { output: string; digest?: string; trustedIssuer: string[] }) => {
      const pulled = await pullArtifact(ref, {
        ...registryOptions(flags),
        ...(flags.digest !== undefined && { expectDigest: flags.digest }),
        ...(flags.trustedIssuer.length > 0 && { trustedIssuers: flags.trustedIssuer }),
      });
      try {
        await writeFile(flags.output, pulled.bytes);
      } catch (err) {
        throw new WactorError("WACTOR_ERR_FILE_READ", `${flags.output}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const size = pulled.bytes.byteLength;
      if (pulled.kind === "bundle") {
        const { bytes: _bytes, bundle, ...rest } = pulled;
        const d = bundle.directive;
        if (flags.json) printJson({ ...rest, size, output: flags.output, ...bundleFacts(bundle) });
        else
          process.stdout.write(
            `pulled ${pulled.reference} ${pulled.digest} -> ${flags.output} (${size} bytes, bundle ${d.identifier} ${d.appVersion}, sealed by ${bundle.seal.issuer})\n`,
          );
        return;
      }
      const { bytes: _bytes, claims, ...rest } = pulled;
      if (flags.json) printJson({ ...rest, size, output: flags.output, module: claims.subject, name: claims.name ?? null, caps: claims.caps });
      else
        process.stdout.write(
          `pulled ${pulled.reference} ${pulled.digest} -> ${flags.output} (${size} bytes, ${claims.name ?? "(unnamed)"} ${claims.subject})\n`,
        );
    });
}

/** A zip archive (local file header), i.e. a bundle, whatever the file is called. */
function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** What `--json` says of a bundle: the app, the sealing account and each function with its claims. */
const bundleFacts = (bundle: LoadedBundle) => ({
  identifier: bundle.directive.identifier,
  appVersion: bundle.directive.appVersion,
  issuer: bundle.seal.issuer,
  functions: bundle.modules.map((m) => {
    const claims = bundle.claims.get(m.runnable.fqfn)!;
    return { fqfn: m.runnable.fqfn, module: claims.subject, caps: claims.caps };
  }),
});
