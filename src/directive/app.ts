/**
 * A Directive ready to serve: its routes and sequences over a StepInvoker. Mounting it on an
 * HTTP server is one call per request, `handle(request)`; schedules are `runSchedule(name)`
 * on a timer of `schedules()[i].periodMs`.
 */
import { randomUUID } from "node:crypto";
import { WactorError } from "../errors.js";
import { httpResponse, textResponse, type DirectiveResponse } from "./http-response.js";
import type { StepInvoker } from "./job.js";
import { fqfnOf } from "./references.js";
import { buildRouter, Router } from "./routes.js";
import { canonicalHeaderKey, runSequence, type SequenceOutcome } from "./sequence.js";
import { setOwn, utf8, type SequenceOptions } from "./step-context.js";
import type { StepTimings } from "./step-timings.js";
import type { Directive, Handler, Step } from "./types.js";

export interface DirectiveRequest {
  method: string;
  /** Request URI: escaped path plus `?query`. */
  url: string;
  /** As node gives them: lower-case names, a value or a list of values. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface DirectiveAppOptions extends SequenceOptions {
  /**
   * Serve every runnable at `POST /<identifier>/<namespace>/<name>/<appVersion>` instead of the
   * handlers (Atmo's ATMO_HEADLESS). Defaults to the Directive's `headless` key.
   */
  headless?: boolean;
  /** Told about each infrastructure failure (the HTTP reply carries only the catalog text). */
  onFailure?: (error: WactorError, where: { target: string; requestId: string }) => void;
  /** Request ids; UUIDv4 by default. */
  newRequestId?: () => string;
  /** Where one run in SAMPLE_EVERY of each route, schedule and stream handler reports its steps' times. */
  stepTimings?: StepTimings;
}

interface Target {
  name: string;
  steps: Step[];
  response: string | undefined;
  headless: boolean;
}

export interface ScheduleInfo {
  name: string;
  periodMs: number;
}

/** A JSON object of strings in a header (headless mode); anything else is empty, as in Atmo. */
function jsonStringMap(value: string | undefined): Record<string, string> {
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/**
 * First value of each header, no Host: what functions see, built once per request. Names as
 * the invoker looks them up: Go's canonical form (as Atmo sends them), or lower-cased for the
 * runnable runtime. A plain object with own keys only (a header named __proto__ is an own
 * data property): one made with no prototype is a dictionary, slower to fill and to read.
 */
function functionHeaders(headers: DirectiveRequest["headers"], lower: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    const key = lower ? name.toLowerCase() : canonicalHeaderKey(name);
    if (key === "host" || key === "Host" || Object.hasOwn(out, key)) continue;
    setOwn(out, key, first);
  }
  return out;
}

export class DirectiveApp {
  private readonly router: Router<Target>;
  private readonly newRequestId: () => string;
  /** Header names as the invoker's calls look them up. */
  private readonly lowerHeaders: boolean;
  /** Whether every function is served at its own route (handlers and schedules ignored). */
  readonly headless: boolean;

  /** `directive` must be validated (loadDirective / a loaded bundle). */
  constructor(
    readonly directive: Directive,
    private readonly invoker: StepInvoker,
    private readonly options: DirectiveAppOptions = {},
  ) {
    this.newRequestId = options.newRequestId ?? randomUUID;
    this.lowerHeaders = invoker.headerNames === "lower";
    const headless = options.headless ?? directive.headless;
    this.headless = headless;
    if (headless) {
      this.router = new Router<Target>();
      for (const r of directive.runnables) {
        const step: Step = { fn: fqfnOf(directive.identifier, r.namespace, r.name, directive.appVersion), as: r.name, line: r.line };
        this.router.add("POST", `/${directive.identifier}/${r.namespace}/${r.name}/${directive.appVersion}`, {
          name: r.fqfn,
          steps: [step],
          response: r.name,
          headless: true,
        });
      }
    } else {
      this.router = buildRouter(directive, (h) => ({ name: `${h.method} ${h.resource}`, steps: h.steps, response: h.response, headless: false }));
    }
  }

  /**
   * Answers one HTTP request: a route's sequence, or the router's redirect, OPTIONS, 405 or 404.
   * The response itself when every step was answered at once (direct calls), else a promise.
   */
  handle(request: DirectiveRequest): DirectiveResponse | Promise<DirectiveResponse> {
    const q = request.url.indexOf("?");
    const rawPath = q >= 0 ? request.url.slice(0, q) : request.url;
    let path = rawPath;
    if (rawPath.includes("%")) {
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        return textResponse(400, "400 Bad Request");
      }
    }
    const routed = this.router.route(request.method, path, q >= 0 ? request.url.slice(q + 1) : "");
    switch (routed.kind) {
      case "redirect":
        return { status: routed.status, headers: { Location: routed.location }, body: new Uint8Array() };
      case "options":
        return { status: 200, headers: { Allow: routed.allow }, body: new Uint8Array() };
      case "methodNotAllowed":
        return textResponse(405, "Method Not Allowed\n", { Allow: routed.allow });
      case "notFound":
        return textResponse(404, "404 page not found\n");
      case "match":
        break;
    }
    const target = routed.match.route.value;
    const requestId = this.newRequestId();
    const headers = functionHeaders(request.headers, this.lowerHeaders);
    const state = new Map<string, Uint8Array>();
    let params = routed.match.params;
    if (target.headless) {
      const header = (name: string): string | undefined => headers[this.lowerHeaders ? name.toLowerCase() : name];
      for (const [k, v] of Object.entries(jsonStringMap(header("X-Atmo-State")))) state.set(k, utf8.encode(v));
      params = jsonStringMap(header("X-Atmo-Params"));
    }
    const ctx = { method: request.method, url: request.url, requestId, body: request.body, headers, params };
    const outcome = runSequence(this.directive, target.steps, ctx, state, this.invoker, this.options, this.options.stepTimings?.sample(target.name));
    return outcome instanceof Promise ? outcome.then((o) => this.#respond(target, requestId, o)) : this.#respond(target, requestId, outcome);
  }

  #respond(target: Target, requestId: string, outcome: SequenceOutcome): DirectiveResponse {
    if (outcome.kind === "failed") this.options.onFailure?.(outcome.error, { target: target.name, requestId });
    const response = httpResponse(outcome, target.steps, target.response);
    if (target.headless) response.headers["X-Atmo-Requestid"] = requestId;
    return response;
  }

  /** The `type: stream` handlers (their resource is a NATS subject); none in headless mode. */
  streamHandlers(): Handler[] {
    return this.headless ? [] : this.directive.handlers.filter((h) => h.type === "stream");
  }

  /**
   * One message for a stream handler: method as written (else `STREAM`), url = the subject it
   * arrived on, the message as the body, no headers or params. The answer is built as for
   * HTTP (the body on success, `{"status","message"}` on an error) for the reply subject.
   */
  async runStream(handler: Handler, message: { subject: string; body: Uint8Array }): Promise<DirectiveResponse> {
    const requestId = this.newRequestId();
    const ctx = { method: handler.method || "STREAM", url: message.subject, requestId, body: message.body, headers: {}, params: {} };
    const timing = this.options.stepTimings?.sample(`stream ${handler.resource}`);
    const outcome = await runSequence(this.directive, handler.steps, ctx, new Map(), this.invoker, this.options, timing);
    if (outcome.kind === "failed") this.options.onFailure?.(outcome.error, { target: `stream ${handler.resource}`, requestId });
    return httpResponse(outcome, handler.steps, handler.response);
  }

  schedules(): ScheduleInfo[] {
    return this.directive.schedules.map((s) => ({
      name: s.name,
      periodMs: (s.every.seconds + 60 * s.every.minutes + 3600 * s.every.hours + 86400 * s.every.days) * 1000,
    }));
  }

  /** One run of a schedule: method SCHED, url = its name, empty body, its seed state. The result is only for logging. */
  async runSchedule(name: string): Promise<SequenceOutcome> {
    const schedule = this.directive.schedules.find((s) => s.name === name);
    if (!schedule) throw new WactorError("WACTOR_ERR_INTERNAL", `the Directive has no schedule '${name}'`);
    const requestId = this.newRequestId();
    const state = new Map(Object.entries(schedule.state).map(([k, v]) => [k, utf8.encode(v)] as const));
    const ctx = { method: "SCHED", url: name, requestId, body: new Uint8Array(), headers: {}, params: {} };
    const timing = this.options.stepTimings?.sample(`schedule ${name}`);
    const outcome = await runSequence(this.directive, schedule.steps, ctx, state, this.invoker, this.options, timing);
    if (outcome.kind === "failed") this.options.onFailure?.(outcome.error, { target: `schedule ${name}`, requestId });
    return outcome;
  }
}
