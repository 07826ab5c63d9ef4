/** docs/errors.md is the catalog's own page: it must say exactly what src/errors.ts holds. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderErrorsDoc } from "../src/errors-doc.js";
import { ERROR_CATALOG } from "../src/errors.js";

describe("docs/errors.md", () => {
  it("is current with the catalog (run `npm run docs:errors` after changing src/errors.ts)", () => {
    const committed = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
    expect(committed).toBe(renderErrorsDoc());
  });

  it("lists every code with its status, and would show a changed message", () => {
    const page = renderErrorsDoc();
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) expect(page).toContain(`| \`${code}\` | ${status} |`);
    const changed = renderErrorsDoc({ ...ERROR_CATALOG, WACTOR_ERR_BUSY: { status: 503, message: "changed" } });
    expect(changed).not.toBe(page);
  });
});
