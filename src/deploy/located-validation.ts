/**
 * YAML + zod with located errors, shared by the host and application manifests: every
 * refusal is WACTOR_ERR_MANIFEST naming file, line and field and saying what is expected.
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { WactorError } from "../errors.js";
import { parseLocatedYaml, type LocatedYaml } from "./yaml-locations.js";

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

type Issue = z.core.$ZodIssue;

/**
 * "Invalid input" on a union (an actor is a path or an object) says nothing: report the
 * issue of the branch that got furthest, with its full path.
 */
function mostSpecificIssue(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  const candidates = issue.errors.map((branch) => branch[0]).filter((i): i is Issue => i !== undefined);
  const best = candidates.reduce((a, b) => (b.path.length > a.path.length ? b : a), candidates[0]!);
  return mostSpecificIssue({ ...best, path: [...issue.path, ...best.path] } as Issue);
}

export function parseValidated<S extends z.ZodType>(schema: S, text: string, file: string): { yaml: LocatedYaml; data: z.output<S> } {
  const yaml = parseLocatedYaml(text);
  if (yaml.errors.length > 0) {
    const first = yaml.errors[0]!;
    throw new WactorError("WACTOR_ERR_MANIFEST", `${file}:${first.line}: YAML syntax: ${first.message}`);
  }
  const parsed = schema.safeParse(yaml.value ?? {});
  if (!parsed.success) {
    const issue = mostSpecificIssue(parsed.error.issues[0]!);
    const path = issue.path.filter((k): k is string | number => typeof k !== "symbol");
    let at = path;
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      at = [...path, issue.keys[0]!];
      message = `unknown key '${issue.keys.join("', '")}' (allowed keys are listed in README.md, 'Manifests')`;
    } else if (/received undefined/.test(message)) {
      message = "required field is missing";
    }
    throw new WactorError("WACTOR_ERR_MANIFEST", `${file}:${yaml.lineOf(at)}: ${formatPath(at) || "(top level)"}: ${message}`);
  }
  return { yaml, data: parsed.data };
}

/** Reads a manifest file; a missing or unreadable one is WACTOR_ERR_FILE_READ naming it. */
export async function readManifestText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new WactorError("WACTOR_ERR_FILE_READ", `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
