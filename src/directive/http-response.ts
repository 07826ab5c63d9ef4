/** How a sequence's outcome becomes an HTTP response (Atmo's rules; docs/directive.md). */
import { ERROR_CATALOG } from "../errors.js";
import { goString } from "./go-json.js";
import type { SequenceOutcome } from "./sequence.js";
import { stepKind } from "./steps.js";
import type { Step } from "./types.js";

export interface DirectiveResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const utf8 = new TextEncoder();

export function textResponse(status: number, text: string, headers: Record<string, string> = {}): DirectiveResponse {
  return { status, headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff", ...headers }, body: utf8.encode(text) };
}

/** `{"status","message"}` as Atmo sends it; an infrastructure failure adds its catalog `code`. */
function errorResponse(status: number, message: string, code?: string): DirectiveResponse {
  const extra = code ? `,"code":${goString(code)}` : "";
  return { status, headers: { "Content-Type": "application/json" }, body: utf8.encode(`{"status":${status},"message":${goString(message)}${extra}}`) };
}

/**
 * The state key whose value is the body: `response`; else a final forEach's `as`; else a
 * final fn's `as`, or its reference as written (Atmo ignores `as` here; its docs intend the
 * final function's output, which wactor follows).
 */
export function responseKey(steps: readonly Step[], response: string | undefined): string | undefined {
  if (response !== undefined) return response;
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  const kind = stepKind(last);
  if (kind === "forEach") return last.forEach!.as;
  if (kind === "fn") return last.as ?? last.fn;
  return undefined;
}

export function httpResponse(outcome: SequenceOutcome, steps: readonly Step[], response: string | undefined): DirectiveResponse {
  if (outcome.kind === "runErr") {
    const { code, message } = outcome.error;
    return errorResponse(code >= 200 && code <= 599 ? code : 500, message);
  }
  if (outcome.kind === "failed") {
    // The catalog text, not the internal detail (which names state keys and functions): Atmo's Q7.
    const { code } = outcome.error;
    return errorResponse(500, ERROR_CATALOG[code].message, code);
  }
  // The run's own map (the engine made it for this request): completed in place. Its names are
  // canonical (the engine stores them so), so a content type set by a function is `Content-Type`.
  const headers = outcome.headers;
  if (!Object.hasOwn(headers, "Content-Type")) headers["Content-Type"] = "application/octet-stream";
  const key = responseKey(steps, response);
  return { status: 200, headers, body: (key !== undefined ? outcome.state.get(key) : undefined) ?? new Uint8Array() };
}
