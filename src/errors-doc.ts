/**
 * docs/errors.md, made from the catalog (src/errors.ts) so the page can never drift from the
 * codes the product reports: `npm run docs:errors` writes it, test/errors-doc.test.ts fails
 * when the committed page is not what the catalog gives.
 */
import { ERROR_CATALOG } from "./errors.js";

const escapeCell = (text: string): string => text.replaceAll("|", "\\|");

export function renderErrorsDoc(catalog: Readonly<Record<string, { status: number; message: string }>> = ERROR_CATALOG): string {
  const rows = Object.entries(catalog).map(([code, { status, message }]) => `| \`${code}\` | ${status} | ${escapeCell(message)} |`);
  return [
    "# Error codes",
    "",
    "<!-- Generated from src/errors.ts by `npm run docs:errors`; do not edit by hand. -->",
    "",
    "Every failure wactor reports carries one of these codes. The CLI prints",
    "`error[CODE]: message (detail)`; HTTP surfaces answer `{ error: { code, message } }` with the",
    "status given here; a code never changes meaning once published.",
    "",
    "| code | status | message |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
