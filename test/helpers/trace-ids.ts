/** W3C trace ids for tests, and picking spans out of a received trace. */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { ReceivedSpan } from "./otlp-receiver.js";

/** A fresh W3C parent: the trace id the test looks for, and the client's span id. */
export function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

/** The one span of a trace with this name (fails when there is none or more than one). */
export function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    `spans named '${name}' among ${spans.map((s) => s.name).join(", ")}`,
  ).toEqual([name]);
  return found[0]!;
}

/**
 * The spans with these names, one each, each the child of the one before; the first is the
 * child of `parentId` (the client's span). Returned in the order named.
 */
export function chain(spans: ReceivedSpan[], parentId: string, ...names: string[]): ReceivedSpan[] {
  const found = names.map((name) => only(spans, name));
  let parent = parentId;
  for (const span of found) {
    expect(span.parentSpanId, `parent of '${span.name}'`).toBe(parent);
    parent = span.spanId;
  }
  return found;
}
