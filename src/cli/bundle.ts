/** `wactor bundle`: build, sign and inspect Atmo-style `.wasm.zip` bundles (docs/directive.md). */
import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { KeyPair } from "../claims/nkeys.js";
import { verifyModule } from "../claims/verify.js";
import { DIRECTIVE_ENTRY, bundleFromEntries } from "../bundle/read.js";
import { verifySeal } from "../bundle/seal.js";
import { signBundle } from "../bundle/sign.js";
import { writeBundleEntries } from "../bundle/write.js";
import { readZip } from "../bundle/zip.js";
import { WactorError } from "../errors.js";
import { describeBundle, renderBundleReport } from "./bundle-report.js";
import { resolveKey } from "./keys.js";
import { printJson, warn } from "./output.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const found = await readdir(dir, { recursive: true, withFileTypes: true });
  return found
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Entries of a project folder: Directive.yaml; modules `<dir>/*.wasm` and `<dir>/runnables/**\/*.wasm`
 * (each stored at the root under its file name); `<dir>/static/**`. Nothing else is taken.
 */
export async function projectEntries(dir: string): Promise<Map<string, Uint8Array>> {
  const entries = new Map<string, Uint8Array>();
  let directiveText = new TextDecoder().decode(await readInput(join(dir, DIRECTIVE_ENTRY)));
  const rootModules = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith(".wasm")).map((e) => join(dir, e.name));
  const modules = [...rootModules.sort(), ...(await filesUnder(join(dir, "runnables"))).filter((f) => f.endsWith(".wasm"))];
  const moduleEntries = new Map<string, Uint8Array>();
  for (const file of modules) {
    const name = basename(file);
    if (moduleEntries.has(name)) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `two modules named ${name} in ${dir}; a bundle holds one per function`);
    moduleEntries.set(name, await readInput(file));
  }
  // A hand-written project Directive often has no runnables: one per module, in `default`.
  const doc = parseDocument(directiveText, { version: "1.1" });
  const listed = doc.get("runnables") as { items?: unknown[] } | undefined;
  if (doc.errors.length === 0 && (!listed || (listed.items?.length ?? 0) === 0) && moduleEntries.size > 0) {
    doc.set(
      "runnables",
      [...moduleEntries.keys()].map((name) => ({ name: name.slice(0, -".wasm".length), namespace: "default" })),
    );
    directiveText = doc.toString();
  }
  entries.set(DIRECTIVE_ENTRY, new TextEncoder().encode(directiveText));
  for (const [name, bytes] of moduleEntries) entries.set(name, bytes);
  for (const file of await filesUnder(join(dir, "static")))
    entries.set(`static/${relative(join(dir, "static"), file).split(sep).join("/")}`, await readInput(file));
  return entries;
}

/** Caps: `id` for every function, `fn=id,id` for one. */
function parseCaps(values: string[]): { caps: string[]; capsByFunction: Record<string, string[]> } {
  const caps: string[] = [];
  const capsByFunction: Record<string, string[]> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq < 0) {
      caps.push(value);
      continue;
    }
    const fn = value.slice(0, eq);
    const ids = value
      .slice(eq + 1)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (!fn || ids.length === 0)
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--cap '${value}': expected <capability> or <function>=<capability>[,<capability>…]`);
    capsByFunction[fn] = [...(capsByFunction[fn] ?? []), ...ids];
  }
  return { caps, capsByFunction };
}

/** An account key file next to the output (reused), else a new one written there, as 'claims sign' does. */
async function issuerFor(flag: string | undefined, output: string): Promise<KeyPair> {
  if (flag !== undefined) return resolveKey(flag, "account", true);
  const file = join(dirname(output), `${basename(output).replace(/\.wasm\.zip$|\.zip$/, "")}_account.nk`);
  if (existsSync(file)) {
    warn(`no --issuer given: using ${file}`);
    return resolveKey(file, "account", true);
  }
  const pair = KeyPair.create("account");
  await writeFile(file, `${pair.seed}\n`, { mode: 0o600 });
  warn(`no --issuer given: generated an account key ${pair.publicKey} and wrote its seed to ${file}`);
  return pair;
}

export function registerBundleCommands(program: Command): void {
  const bundle = program.command("bundle").description("Atmo-style application bundles (.wasm.zip): a Directive, its functions' modules and static files");

  bundle
    .command("build")
    .description("bundle a project folder: Directive.yaml, <fn>.wasm files (or runnables/**/<fn>.wasm) and static/")
    .argument("<dir>", "project folder")
    .option("-o, --output <file>", "bundle to write", "")
    .action(async (dir: string, flags: { output: string }) => {
      const output = flags.output || join(dir, "runnables.wasm.zip");
      const entries = await projectEntries(dir);
      const built = bundleFromEntries(entries, output);
      await writeFile(output, writeBundleEntries(entries));
      process.stdout.write(
        `Built ${output}: ${built.modules.length} functions, ${built.statics.names().length} static files (unsigned: run 'wactor bundle sign ${output} -o <signed.wasm.zip>')\n`,
      );
    });

  bundle
    .command("sign")
    .description("sign every module (wascap claims) and seal the bundle with a descriptor by the same account")
    .argument("<in.wasm.zip>", "bundle to sign")
    .requiredOption("-o, --output <out.wasm.zip>", "where to write the signed bundle")
    .option("--issuer <seed|file>", "account seed (SA…) or a file holding it")
    .option("-c, --cap <capability|fn=cap,cap>", "capability for every function, or for one (repeat)", collect, [])
    .action(async (input: string, flags: { output: string; issuer?: string; cap: string[] }) => {
      const { caps, capsByFunction } = parseCaps(flags.cap);
      const bytes = await readInput(input);
      const issuer = await issuerFor(flags.issuer, flags.output);
      const signed = await signBundle(bytes, input, { issuer, caps, capsByFunction });
      await writeFile(flags.output, signed.bytes);
      const lines = [`Signed ${flags.output}`, `  Issuer: ${signed.issuer}`];
      for (const m of signed.modules)
        lines.push(`  ${m.entry}  ${m.claims.name ?? ""}  module ${m.claims.subject}  caps: ${m.claims.caps.join(", ") || "(none)"}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  bundle
    .command("inspect")
    .description("show a bundle's Directive, functions with their claims, routes, schedules and whether its seal verifies")
    .argument("<file>", "bundle")
    .option("--json", "print a JSON object")
    .option("--trusted-issuer <account>", "trust only these sealing accounts (repeat)", collect, [])
    .action(async (file: string, flags: { json?: boolean; trustedIssuer: string[] }) => {
      const entries = readZip(await readInput(file), file);
      const seal = await verifySeal(entries, flags.trustedIssuer);
      const bound = bundleFromEntries(entries, file);
      const verdicts = await Promise.all(bound.modules.map((m) => verifyModule(m.bytes, seal.sealed ? { trustedIssuers: [seal.seal.issuer] } : {})));
      const report = describeBundle(bound, seal, verdicts);
      if (flags.json) printJson(report);
      else process.stdout.write(renderBundleReport(report));
      if (!report.seal.valid) process.exitCode = 1;
    });
}
