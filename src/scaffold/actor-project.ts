/**
 * `wactor new actor <name>`: a project folder that builds and signs an actor outside this
 * repository, as `wash new actor` and `cargo generate` start one. Templates live as plain
 * files under `templates/actor/<template>/` (`{{name}}` is replaced); package.json is written
 * here because its wactor dependency depends on where this wactor came from.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KeyPair } from "../claims/nkeys.js";
import { WactorError } from "../errors.js";

export interface ActorTemplate {
  description: string;
  /** Claims the built actor carries. */
  caps: readonly string[];
}

export const ACTOR_TEMPLATES: Readonly<Record<string, ActorTemplate>> = {
  assemblyscript: { description: "an HTTP hello actor in AssemblyScript on the wactor SDK (wactor/sdk)", caps: ["wascc:http_server"] },
};

export const DEFAULT_ACTOR_TEMPLATE = "assemblyscript";

/** npm package names are lower case; the name is also the actor's claims name and file stem. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

interface WactorPackage {
  root: string;
  version: string;
  assemblyscript: string;
}

/** The wactor package this code runs from (a checkout, or an installed copy). */
function wactorPackage(): WactorPackage {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string; dependencies?: Record<string, string> };
      if (pkg.name === "wactor") return { root: dir, version: pkg.version ?? "0.0.0", assemblyscript: pkg.dependencies?.assemblyscript ?? "^0.28.0" };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new WactorError("WACTOR_ERR_FILE_READ", "wactor's own package.json was not found above its code");
    dir = parent;
  }
}

/**
 * "From wherever wactor came from": an installed copy (under node_modules, npx's cache
 * included) means the registry, so the same version range; a checkout means that folder.
 */
export function wactorDependency(pkg: { root: string; version: string }): string {
  return pkg.root.split(/[\\/]/).includes("node_modules") ? `^${pkg.version}` : `file:${pkg.root}`;
}

function packageJson(name: string, template: ActorTemplate, pkg: WactorPackage): string {
  const caps = template.caps.map((c) => `--cap ${c}`).join(" ");
  const json = {
    name,
    version: "0.1.0",
    private: true,
    description: `${name}: a wactor actor`,
    scripts: {
      build: `asc index.ts -o build/${name}.wasm --runtime incremental -O3 && wactor claims sign build/${name}.wasm -o build/${name}_s.wasm --issuer .wactor/account.nk --subject .wactor/module.nk ${caps} --name ${name} --ver 0.1.0`,
      dev: `wactor dev . ${caps}`,
    },
    devDependencies: { assemblyscript: pkg.assemblyscript, wactor: wactorDependency(pkg) },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export interface NewActorResult {
  dir: string;
  files: string[];
  moduleKey: string;
}

/**
 * Writes the project into `<cwd>/<target>/` (`target` is a name or a path ending in one, e.g.
 * `../hello` from a checkout); refuses a folder that exists and is not empty.
 */
export async function newActorProject(cwd: string, target: string, templateName: string = DEFAULT_ACTOR_TEMPLATE): Promise<NewActorResult> {
  const name = basename(target);
  if (!NAME.test(name))
    throw new WactorError(
      "WACTOR_ERR_BAD_ARGUMENT",
      `actor name '${name}': use lower-case letters, digits, '-' and '_' (it names the npm package and the module)`,
    );
  const template = Object.hasOwn(ACTOR_TEMPLATES, templateName) ? ACTOR_TEMPLATES[templateName] : undefined;
  if (!template) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `no template '${templateName}' (templates: ${Object.keys(ACTOR_TEMPLATES).join(", ")})`);
  const dir = resolve(cwd, target);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new WactorError("WACTOR_ERR_TARGET_EXISTS", dir);
  const pkg = wactorPackage();
  const source = join(pkg.root, "templates", "actor", templateName);
  const files: string[] = [];
  await mkdir(join(dir, ".wactor"), { recursive: true });
  for (const file of readdirSync(source)) {
    // npm drops files named .gitignore from packages, so the template stores it without the dot.
    const target = file === "gitignore" ? ".gitignore" : file;
    await writeFile(join(dir, target), (await readFile(join(source, file), "utf8")).replaceAll("{{name}}", name));
    files.push(target);
  }
  await writeFile(join(dir, "package.json"), packageJson(name, template, pkg));
  files.push("package.json");
  // Dev keys, the ones `wactor dev` also uses: the actor keeps one identity across builds.
  const account = KeyPair.create("account");
  const module = KeyPair.create("module");
  for (const [file, pair] of [
    ["account.nk", account],
    ["module.nk", module],
  ] as const) {
    const path = join(dir, ".wactor", file);
    await writeFile(path, `${pair.seed}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    files.push(`.wactor/${file}`);
  }
  return { dir, files: files.sort(), moduleKey: module.publicKey };
}
