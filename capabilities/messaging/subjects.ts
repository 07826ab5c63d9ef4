/**
 * NATS subject rules, checked before anything reaches the server so that a bad binding is
 * refused at bind time with the offending value named, not discovered as a silent no-op.
 */
import { WactorError, type ErrorCode } from "../../src/errors.js";

export interface SubscriptionSpec {
  subject: string;
  /** Queue group: members of one group share the messages instead of each getting all. */
  queue: string | undefined;
}

const WHITESPACE = /\s/;

/** Why `subject` is not valid, or undefined when it is. Wildcards only when `wildcards`. */
export function subjectProblem(subject: string, wildcards: boolean): string | undefined {
  if (subject === "") return "is empty";
  if (WHITESPACE.test(subject)) return "contains whitespace";
  const tokens = subject.split(".");
  for (const [i, token] of tokens.entries()) {
    if (token === "") return "has an empty token (leading, trailing or double '.')";
    if (token === ">" || token === "*") {
      if (!wildcards) return `has the wildcard '${token}' (not allowed when publishing)`;
      if (token === ">" && i !== tokens.length - 1) return "has '>' before the last token";
    }
  }
  return undefined;
}

export function assertSubject(subject: string, wildcards: boolean, code: ErrorCode, what: string): void {
  const problem = subjectProblem(subject, wildcards);
  if (problem) throw new WactorError(code, `${what} '${subject}' ${problem}`);
}

/**
 * Parses the SUBSCRIPTION binding value: subjects separated by commas, each optionally
 * followed by `|queue` to join a queue group, e.g. `orders.*|workers, audit.>`.
 */
export function parseSubscriptions(value: string | undefined): SubscriptionSpec[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((entry) => {
    const [rawSubject = "", rawQueue, ...extra] = entry.split("|");
    const subject = rawSubject.trim();
    const queue = rawQueue?.trim();
    if (extra.length > 0) throw new WactorError("WACTOR_ERR_BINDING_INVALID", `SUBSCRIPTION entry '${entry.trim()}' has more than one '|'`);
    assertSubject(subject, true, "WACTOR_ERR_BINDING_INVALID", "SUBSCRIPTION subject");
    if (queue !== undefined && (queue === "" || WHITESPACE.test(queue))) {
      throw new WactorError("WACTOR_ERR_BINDING_INVALID", `SUBSCRIPTION queue group '${queue}' of '${subject}' must be non-empty without whitespace`);
    }
    return { subject, queue };
  });
}
