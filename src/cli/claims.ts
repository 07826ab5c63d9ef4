import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { Command } from "commander";
import { KeyPair, type KeyType } from "../claims/nkeys.js";
import { signModule } from "../claims/sign.js";
import type { ActorClaims } from "../claims/types.js";
import { verifyModule, type Verdict } from "../claims/verify.js";
import { WactorError } from "../errors.js";
import { readModule } from "../host/read-module.js";
import { moduleKind } from "../runtime/compile-actor.js";
import { parseDurationSeconds } from "./duration.js";
import { resolveKey } from "./keys.js";
import { formatTime, printJson, warn } from "./output.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface SignFlags {
  output: string;
  issuer?: string;
  subject?: string;
  cap: string[];
  tag: string[];
  name?: string;
  ver?: string;
  rev?: string;
  callAlias?: string;
  expiresIn?: string;
  notBefore?: string;
}

/** A key file next to the output (reused so identities stay stable), else a new one written there. */
async function keyOrGenerated(type: KeyType, output: string, role: string): Promise<KeyPair> {
  const stem = basename(output, extname(output));
  const file = join(dirname(output), `${stem}_${type}.nk`);
  if (existsSync(file)) {
    warn(`no --${role} given: using ${file}`);
    return resolveKey(file, type, true);
  }
  const pair = KeyPair.create(type);
  await writeFile(file, `${pair.seed}\n`, { mode: 0o600 });
  warn(`no --${role} given: generated a ${type} key ${pair.publicKey} and wrote its seed to ${file}`);
  return pair;
}

export function registerClaimsCommands(program: Command): void {
  const claims = program.command("claims").description("sign actor modules and inspect their claims");

  claims
    .command("sign")
    .description("embed signed claims (a wascap JWT) in an actor module")
    .argument("<in.wasm>", "module to sign")
    .requiredOption("-o, --output <out.wasm>", "where to write the signed module")
    .option("--issuer <seed|file>", "account seed (SA…) or a file holding it")
    .option("--subject <seed|key|file>", "module seed (SM…), module public key, or a file holding one")
    .option("-c, --cap <capability>", "capability the actor may use (repeat)", collect, [])
    .option("-t, --tag <tag>", "tag (repeat)", collect, [])
    .option("-n, --name <name>", "human-readable actor name")
    .option("--ver <version>", "version string, e.g. 0.1.0")
    .option("--rev <revision>", "revision number")
    .option("--call-alias <alias>", "alias other actors may call this one by")
    .option("--expires-in <duration>", "validity period, e.g. 30d")
    .option("--not-before <duration>", "delay before the claims become valid, e.g. 1h")
    .action(async (input: string, flags: SignFlags) => {
      const rev = flags.rev === undefined ? undefined : Number(flags.rev);
      if (rev !== undefined && !Number.isSafeInteger(rev)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--rev '${flags.rev}' is not an integer`);
      // Every argument is checked before a generated key is written next to the output.
      const expiresInSeconds = flags.expiresIn === undefined ? undefined : parseDurationSeconds(flags.expiresIn);
      const notBeforeSeconds = flags.notBefore === undefined ? undefined : parseDurationSeconds(flags.notBefore);
      const bytes = await readModule(input);
      const givenIssuer = flags.issuer === undefined ? undefined : await resolveKey(flags.issuer, "account", true);
      const givenSubject = flags.subject === undefined ? undefined : await resolveKey(flags.subject, "module", false);
      const issuer = givenIssuer ?? (await keyOrGenerated("account", flags.output, "issuer"));
      const subject = givenSubject ?? (await keyOrGenerated("module", flags.output, "subject"));
      const signed = await signModule(bytes, {
        issuer,
        subject,
        caps: flags.cap,
        tags: flags.tag,
        ...(flags.name !== undefined && { name: flags.name }),
        ...(flags.ver !== undefined && { ver: flags.ver }),
        ...(rev !== undefined && { rev }),
        ...(flags.callAlias !== undefined && { callAlias: flags.callAlias }),
        ...(expiresInSeconds !== undefined && { expiresInSeconds }),
        ...(notBeforeSeconds !== undefined && { notBeforeSeconds }),
      });
      await writeFile(flags.output, signed.bytes);
      process.stdout.write(
        `Signed ${flags.output}\n  Subject: ${signed.claims.subject}\n  Issuer:  ${signed.claims.issuer}\n  Caps:    ${signed.claims.caps.join(", ") || "(none)"}\n`,
      );
    });

  claims
    .command("inspect")
    .description("show a module's claims and whether they verify")
    .argument("<file.wasm>", "module to inspect")
    .option("--json", "print a stable JSON object: { valid, error, claims, hash, kind }")
    .option("--trusted-issuer <account>", "trust only these issuers (repeat)", collect, [])
    .action(async (file: string, flags: { json?: boolean; trustedIssuer: string[] }) => {
      const bytes = await readModule(file);
      const verdict = await verifyModule(bytes, { trustedIssuers: flags.trustedIssuer });
      const kind = (await moduleKind(bytes)) ?? null;
      if (flags.json) printJson({ ...verdictToJson(verdict), kind });
      else process.stdout.write(renderVerdict(file, verdict, kind));
      if (!verdict.valid) process.exitCode = 1;
    });
}

export function verdictToJson(verdict: Verdict): {
  valid: boolean;
  error: { code: string; message: string } | null;
  claims: ActorClaims | null;
  hash: string | null;
} {
  return {
    valid: verdict.valid,
    error: verdict.valid ? null : { code: verdict.error.code, message: verdict.error.message },
    claims: verdict.claims ?? null,
    hash: verdict.hash ?? null,
  };
}

/** `kind`: "actor" (waPC) or "runnable" (Reactr), from the module's exports; null when neither. */
function renderVerdict(file: string, verdict: Verdict, kind: string | null): string {
  const c = verdict.claims;
  const lines = [`${c?.name ?? basename(file)} - Module`, `  Kind              ${kind ?? "unknown (neither a waPC actor nor a Reactr runnable)"}`];
  if (c) {
    lines.push(
      `  Account (issuer)  ${c.issuer}`,
      `  Module (subject)  ${c.subject}`,
      `  Capabilities      ${c.caps.join(", ") || "(none)"}`,
      `  Tags              ${c.tags.join(", ") || "(none)"}`,
      `  Version           ${c.ver ?? "-"}  Revision ${c.rev ?? "-"}`,
      `  Hash (claimed)    ${c.hash}`,
      `  Issued            ${formatTime(c.iat)}`,
      `  Expires           ${c.exp === undefined ? "never" : formatTime(c.exp)}`,
      `  Not before        ${c.nbf === undefined ? "immediately" : formatTime(c.nbf)}`,
    );
  }
  if (verdict.hash) lines.push(`  Hash (module)     ${verdict.hash}`);
  lines.push(verdict.valid ? "  Verdict           valid" : `  Verdict           INVALID ${verdict.error.code}: ${verdict.error.message}`);
  return `${lines.join("\n")}\n`;
}
