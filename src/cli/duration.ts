import { WactorError } from "../errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Parses "90s", "15m", "2h", "30d", "1w", "1y" or a bare number of seconds. */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+)\s*([smhdwy]?)$/.exec(text.trim());
  if (!match) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `'${text}' is not a duration; use e.g. 90s, 15m, 2h, 30d, 1y`);
  return Number(match[1]) * UNIT_SECONDS[match[2] || "s"]!;
}
