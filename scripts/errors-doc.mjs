#!/usr/bin/env node
// Writes docs/errors.md from the error catalog (dist/src/errors-doc.js; run `npm run build` first).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { renderErrorsDoc } = await import(join(ROOT, "dist/src/errors-doc.js"));
writeFileSync(join(ROOT, "docs/errors.md"), renderErrorsDoc());
console.log("docs/errors.md written");
