/**
 * `wactor up --otlp <url>` and the OTEL_* variables: spans of a real host process reach an
 * OTLP receiver (buffered ones at the latest when it stops), and its JSON log lines written
 * inside a traced request carry the trace id.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actor } from "./helpers/actors.js";
import { wactor } from "./helpers/cli.js";
import { startOtlpReceiver } from "./helpers/otlp-receiver.js";
import { freePort } from "./helpers/servers.js";
import { only, traceparent } from "./helpers/trace-ids.js";
import { startUp, stopUp, waitForOutput } from "./helpers/up-process.js";

const dir = mkdtempSync(join(tmpdir(), "wactor-up-tracing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withoutOtel = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));

describe("wactor up with tracing", () => {
  it("--otlp exports the spans of traced requests (protocol and service name from OTEL_*); log lines carry trace_id", async () => {
    const receiver = await startOtlpReceiver();
    const [echoPort, panicPort] = [await freePort(), await freePort()];
    const file = join(dir, "traced.yaml");
    writeFileSync(
      file,
      `actors: [${actor("echo").signedPath}, ${actor("panicker").signedPath}]\ncapabilities: [{ id: wascc:http_server }]\nbindings:\n` +
        `  - { actor: echo, capability: wascc:http_server, values: { PORT: "${echoPort}" } }\n` +
        `  - { actor: panicker, capability: wascc:http_server, values: { PORT: "${panicPort}" } }\n`,
    );
    const env = { ...withoutOtel(), OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "cli-traced", WACTOR_LOG_JSON: "1" };
    const up = startUp([file, "--otlp", receiver.url, "--log-level", "warn"], env);
    try {
      await waitForOutput(up, "wactor host ready");
      expect(up.stdout()).toContain(`tracing  OTLP http/json to ${receiver.url}/v1/traces`);
      const ok = traceparent();
      expect((await fetch(`http://127.0.0.1:${echoPort}/x`, { headers: { traceparent: ok.header } })).status).toBe(200);
      const failed = traceparent();
      expect((await fetch(`http://127.0.0.1:${panicPort}/y`, { headers: { traceparent: failed.header } })).status).toBe(500);
      expect(await stopUp(up)).toBe(0);
      // Stopping flushed what was buffered.
      const spans = receiver.trace(ok.traceId);
      expect(only(spans, "invoke HandleRequest").parentSpanId).toBe(only(spans, "GET").spanId);
      expect(spans.every((s) => s.service === "cli-traced")).toBe(true);
      expect(receiver.contentTypes.every((t) => t.startsWith("application/json"))).toBe(true);
      const trap = only(receiver.trace(failed.traceId), "invoke HandleRequest");
      expect(trap).toMatchObject({ status: { code: 2 }, attributes: { "wactor.outcome": "WACTOR_ERR_TRAP" } });
      const lines = up
        .stderr()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg?: string; trace_id?: string });
      const logged = lines.find((l) => l.msg === "HandleRequest failed");
      expect(logged?.trace_id).toBe(failed.traceId);
    } finally {
      await stopUp(up);
      await receiver.close();
    }
  });

  it("refuses a bad --otlp before anything starts", () => {
    const result = wactor(["up", join(dir, "missing.yaml"), "--otlp", "collector:4318"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("WACTOR_ERR_TRACING_CONFIG");
  });
});
