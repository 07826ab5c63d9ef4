/** The dashboard's static files: the page and stylesheet from `ui/`, the compiled scripts from `dist/ui/`. */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "wactor") return dir;
  }
  throw new Error("wactor's package root not found");
}

const ROOT = packageRoot();
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".png": "image/png",
};

/** Only these names are served: no path from the request ever reaches the file system. */
export async function readAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  let file: string;
  if (name === "index.html" || name === "style.css") file = join(ROOT, "ui", name);
  else if (/^[a-z][a-z0-9-]*\.js$/.test(name)) file = join(ROOT, "dist", "ui", name);
  else return undefined;
  try {
    return { body: await readFile(file), type: TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream" };
  } catch (err) {
    // Missing (not built) is an answer; any other read failure is not.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
