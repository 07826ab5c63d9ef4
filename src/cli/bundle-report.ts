/** What `wactor bundle inspect` shows, as data (for --json) and as text. */
import type { Verdict } from "../claims/verify.js";
import type { Bundle } from "../bundle/read.js";
import type { SealVerdict } from "../bundle/seal.js";
import { mountedHandlers } from "../directive/routes.js";
import { stepKind } from "../directive/steps.js";
import type { Step } from "../directive/types.js";

export interface BundleReport {
  identifier: string;
  appVersion: string;
  atmoVersion: string;
  functions: Array<{
    name: string;
    entry: string;
    fqfn: string;
    lang: string | null;
    claims: { subject: string; issuer: string; caps: string[] } | null;
    error: { code: string; message: string } | null;
  }>;
  routes: Array<{ method: string; resource: string; steps: string }>;
  schedules: Array<{ name: string; everySeconds: number; steps: string }>;
  statics: string[];
  seal: { valid: boolean; issuer: string | null; issuedAt: number | null; error: { code: string; message: string } | null };
}

function describeSteps(steps: Step[]): string {
  return steps
    .map((s) => {
      const kind = stepKind(s);
      if (kind === "group") return `[${s.group!.map((m) => m.fn).join(" | ")}]`;
      if (kind === "forEach") return `forEach(${s.forEach!.in} → ${s.forEach!.fn})`;
      return s.fn ?? "?";
    })
    .join(" → ");
}

export function describeBundle(bundle: Bundle, seal: SealVerdict, verdicts: Verdict[]): BundleReport {
  const d = bundle.directive;
  return {
    identifier: d.identifier,
    appVersion: d.appVersion,
    atmoVersion: d.atmoVersion,
    functions: bundle.modules.map((m, i) => {
      const v = verdicts[i]!;
      return {
        name: `${m.runnable.namespace}::${m.runnable.name}`,
        entry: m.entry,
        fqfn: m.runnable.fqfn,
        lang: m.runnable.lang ?? null,
        claims: v.valid ? { subject: v.claims.subject, issuer: v.claims.issuer, caps: v.claims.caps } : null,
        error: v.valid ? null : { code: v.error.code, message: v.error.message },
      };
    }),
    routes: mountedHandlers(d).map((h) => ({
      method: h.method,
      resource: h.resource.startsWith("/") ? h.resource : `/${h.resource}`,
      steps: describeSteps(d.handlers[h.index]!.steps),
    })),
    schedules: d.schedules.map((s) => ({
      name: s.name,
      everySeconds: s.every.seconds + 60 * s.every.minutes + 3600 * s.every.hours + 86400 * s.every.days,
      steps: describeSteps(s.steps),
    })),
    statics: bundle.statics.names(),
    seal: seal.sealed
      ? { valid: true, issuer: seal.seal.issuer, issuedAt: seal.seal.issuedAt, error: null }
      : { valid: false, issuer: null, issuedAt: null, error: { code: seal.error.code, message: seal.error.message } },
  };
}

export function renderBundleReport(r: BundleReport): string {
  const lines = [`${r.identifier} ${r.appVersion} (atmoVersion ${r.atmoVersion})`, "Functions:"];
  for (const f of r.functions) {
    const claims = f.claims ? `module ${f.claims.subject}, caps: ${f.claims.caps.join(", ") || "(none)"}` : `unsigned or invalid: ${f.error!.code}`;
    lines.push(`  ${f.name}  ${f.entry}${f.lang ? `  (${f.lang})` : ""}  ${claims}`);
  }
  lines.push("Routes:", ...(r.routes.length ? r.routes.map((h) => `  ${h.method} ${h.resource}  ${h.steps}`) : ["  (none)"]));
  lines.push("Schedules:", ...(r.schedules.length ? r.schedules.map((s) => `  ${s.name} every ${s.everySeconds}s  ${s.steps}`) : ["  (none)"]));
  lines.push(`Static files: ${r.statics.join(", ") || "(none)"}`);
  lines.push(
    r.seal.valid
      ? `Seal: valid, sealed by ${r.seal.issuer} at ${new Date(r.seal.issuedAt! * 1000).toISOString()}`
      : `Seal: NOT VALID: error[${r.seal.error!.code}]: ${r.seal.error!.message}`,
  );
  return `${lines.join("\n")}\n`;
}
