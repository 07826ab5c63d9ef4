/**
 * Runs one loaded (signed, verified) bundle on a Host: its functions as actors with their
 * claims enforced per call and their bindings (functions.ts), its request handlers as a
 * DirectiveApp mounted on `wascc:http_server`, its schedules on timers. `stop()` undoes all of
 * it, in the reverse order: no new requests, no new schedule runs, then the functions.
 *
 * A step reaches its function through the host (`Host.invoke(key, "Job", …)`), so a trap, a
 * deadline or a denied capability is the host's usual failure, and the sequence engine turns
 * it into an infrastructure failure of the request (500 with a catalog code).
 */
import type { Logger } from "pino";
import { CAP_HTTP_SERVER, CAP_MESSAGING } from "../../codec/mod.js";
import { DirectiveApp } from "../../directive/app.js";
import { invokerFromCall, type StepInvoker } from "../../directive/job.js";
import { DEFAULT_FOREACH_CONCURRENCY, DEFAULT_STEP_TIMEOUT_MS } from "../../directive/step-context.js";
import { StepTimings } from "../../directive/step-timings.js";
import { WactorError } from "../../errors.js";
import type { Host } from "../../host/host.js";
import { isHttpMountable } from "../../provider/contract.js";
import type { Isolation } from "../../runtime/actor-pool.js";
import type { LoadedBundle } from "../load.js";
import type { BundleCapabilityOptions } from "./capability-bindings.js";
import { ensureProvider, startFunctions, stopFunctions, type StartedFunction } from "./functions.js";
import { directiveTarget } from "./http-target.js";
import { stepSpans } from "./step-spans.js";
import { scheduleTimer, type BundleScheduleOptions } from "./schedules.js";
import { callRetrying, remoteFunctions, type FunctionCall } from "./remote-functions.js";
import { mountStreams, unmountStreams } from "./stream-handlers.js";
import type { ScheduleTimer } from "./schedule-timer.js";

export interface BundleRunnerOptions extends BundleCapabilityOptions {
  /** Where the routes listen (`wascc:http_server` values); false: no listener. Default 127.0.0.1:8080. */
  http?: { port: number; host?: string; maxBodyBytes?: number } | false;
  /** Serve every function at `POST /<identifier>/<namespace>/<name>/<appVersion>` (default: the Directive's `headless`). */
  headless?: boolean;
  stepTimeoutMs?: number;
  forEachConcurrency?: number;
  /**
   * `wascc:messaging` binding values (URL, credentials) for the `type: stream` handlers; without
   * them stream handlers are not served (a warning says so).
   */
  messaging?: Record<string, string>;
  /** Run the schedules (default true; headless mode never runs them, as in Atmo). */
  runSchedules?: boolean;
  schedules?: BundleScheduleOptions;
  /** Instances and isolation of each function (host defaults otherwise). */
  instances?: number;
  isolation?: Isolation;
  /**
   * The functions run elsewhere (a lattice's workers): none is started here, and each step
   * reaches its function by module key through this call (remote-functions.ts).
   */
  remote?: FunctionCall;
}

export interface RunningBundleInfo {
  identifier: string;
  appVersion: string;
  functions: StartedFunction[];
  /** Where the routes listen, when they do. */
  address: { host: string; port: number } | undefined;
  schedules: string[];
  /** Subjects of the stream handlers served. */
  streams: string[];
}

/** Time a function may run past the step timeout before the host stops it: the step fails first. */
const DEADLINE_MARGIN_MS = 1000;

export class BundleRunner {
  /** Time per step of each route, schedule and stream handler, sampled (the dashboard shows them). */
  readonly stepTimings = new StepTimings();
  readonly logger: Logger;
  readonly #host: Host;
  readonly #bundle: LoadedBundle;
  readonly #options: BundleRunnerOptions;
  #app: DirectiveApp | undefined;
  #functions: StartedFunction[] = [];
  #addedProviders: string[] = [];
  #mounted = false;
  #streamBindings: string[] = [];
  #timer: ScheduleTimer | undefined;
  #headless = false;
  /** Aborted when stop() begins: steps waiting for a remote function give up instead of holding the stop. */
  #stopping = new AbortController();
  #info: RunningBundleInfo | undefined;
  /** Calls to remote functions tried again because no host ran the function (remote-functions.ts). */
  retries = 0;

  constructor(host: Host, bundle: LoadedBundle, options: BundleRunnerOptions = {}) {
    this.#host = host;
    this.#bundle = bundle;
    this.#options = options;
    this.logger = host.logger.child({ bundle: bundle.directive.identifier, appVersion: bundle.directive.appVersion });
  }

  /** The owner name of the bundle's HTTP listener on the provider. */
  get owner(): string {
    return `bundle:${this.#bundle.directive.identifier}@${this.#bundle.directive.appVersion}`;
  }

  /** The running app (routes and sequences); undefined before start. */
  get app(): DirectiveApp | undefined {
    return this.#app;
  }

  get info(): RunningBundleInfo | undefined {
    return this.#info;
  }

  /** Module key of a running function, by FQFN. */
  functionKey(fqfn: string): string | undefined {
    return this.#functions.find((f) => f.fqfn === fqfn)?.key;
  }

  async start(): Promise<RunningBundleInfo> {
    if (this.#app) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `bundle ${this.owner} is already running`);
    const directive = this.#bundle.directive;
    const stepTimeoutMs = this.#options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    const headless = this.#options.headless ?? directive.headless;
    this.#headless = headless;
    this.#stopping = new AbortController();
    try {
      if (this.#options.remote) {
        this.#functions = remoteFunctions(this.#bundle);
      } else {
        const started = await startFunctions(this.#host, this.#bundle, { ...this.#options, deadlineMs: stepTimeoutMs + DEADLINE_MARGIN_MS }, this.logger);
        this.#functions = started.functions;
        this.#addedProviders = started.addedProviders;
      }
      const app = new DirectiveApp(directive, this.#invoker(), {
        stepTimeoutMs,
        forEachConcurrency: this.#options.forEachConcurrency ?? DEFAULT_FOREACH_CONCURRENCY,
        headless,
        ...(this.#host.tracing && { observeStep: stepSpans(this.#host.tracing, directive.identifier) }),
        stepTimings: this.stepTimings,
        onFailure: (error, where) => {
          // Schedule outcomes are logged by the schedule timer itself.
          if (!where.target.startsWith("schedule "))
            this.logger.warn({ target: where.target, requestId: where.requestId, code: error.code, err: error }, "request failed");
        },
      });
      this.#app = app;
      const address = await this.#mount(app, headless);
      const streams = await this.#mountStreams(app);
      const runSchedules = !headless && (this.#options.runSchedules ?? true) && app.schedules().length > 0;
      if (runSchedules) {
        this.#timer = scheduleTimer(app, this.logger, this.#options.schedules);
        this.#timer.start();
      }
      this.#info = {
        identifier: directive.identifier,
        appVersion: directive.appVersion,
        functions: this.#functions,
        address,
        schedules: runSchedules ? app.schedules().map((s) => s.name) : [],
        streams,
      };
      this.logger.info({ functions: this.#functions.length, address, schedules: this.#info.schedules, headless }, "bundle running");
      return this.#info;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Starts or stops running the schedules while the routes keep serving: a lattice runs a
   * bundle's schedules on one of its edge hosts and moves them when that host goes.
   */
  async setSchedules(on: boolean): Promise<void> {
    const app = this.#app;
    const info = this.#info;
    if (!app || !info) return;
    if (on && !this.#timer && !this.#headless && app.schedules().length > 0) {
      this.#timer = scheduleTimer(app, this.logger, this.#options.schedules);
      this.#timer.start();
      info.schedules = app.schedules().map((s) => s.name);
    } else if (!on && this.#timer) {
      const timer = this.#timer;
      this.#timer = undefined;
      info.schedules = [];
      await timer.stop();
    }
  }

  /** Stops taking requests and schedule runs (those in flight finish), then stops the functions. */
  async stop(): Promise<void> {
    // A step waiting for a function that no host runs (one this stop is part of retiring, say)
    // would hold the listener's close and the timers' stop up to the step timeout.
    this.#stopping.abort();
    const timer = this.#timer;
    this.#timer = undefined;
    if (this.#mounted) {
      this.#mounted = false;
      const provider = this.#host.provider(CAP_HTTP_SERVER);
      if (isHttpMountable(provider))
        await provider.unbind(this.owner, "default").catch((err: unknown) => this.logger.warn({ err }, "http listener failed to close"));
    }
    const streamBindings = this.#streamBindings;
    this.#streamBindings = [];
    await unmountStreams(this.#host, this.owner, streamBindings);
    await timer?.stop();
    const functions = this.#functions;
    const added = this.#addedProviders;
    this.#functions = [];
    this.#addedProviders = [];
    // Functions that run elsewhere are not this runner's to stop.
    await stopFunctions(this.#host, this.#options.remote ? [] : functions, added, this.logger);
    this.#app = undefined;
    this.#info = undefined;
  }

  #invoker(): StepInvoker {
    const keys = new Map(this.#functions.map((f) => [f.fqfn, f.key]));
    const remote = this.#options.remote;
    const missing = (fqfn: string): Promise<never> =>
      Promise.reject(new WactorError("WACTOR_ERR_ACTOR_NOT_FOUND", `no function ${fqfn} runs in bundle ${this.owner}`));
    // Remote functions get the job as MessagePack; local ones as its fields (Host.invokeJob).
    // Either way header names go lower-cased (the app builds them so, once per request): the
    // runnable runtime looks them up lower-cased, as for HandleRequest, so `x-test` finds `X-Test`.
    if (remote) {
      const call = invokerFromCall((fqfn, operation, payload, signal) => {
        const key = keys.get(fqfn);
        if (key === undefined) return missing(fqfn);
        return callRetrying(remote, key, operation, payload, AbortSignal.any([signal, this.#stopping.signal]), () => this.retries++);
      });
      return { ...call, headerNames: "lower" };
    }
    return {
      invoke: (fqfn, request) => {
        const key = keys.get(fqfn);
        return key === undefined ? missing(fqfn) : this.#host.invokeJob(key, request);
      },
      headerNames: "lower",
    };
  }

  /** Subscribes the stream handlers through the host's `wascc:messaging` (added if the host has none). */
  async #mountStreams(app: DirectiveApp): Promise<string[]> {
    const handlers = app.streamHandlers();
    if (handlers.length === 0) return [];
    if (!this.#options.messaging) {
      this.logger.warn({ subjects: handlers.map((h) => h.resource) }, "stream handlers are not served: no NATS connection was given for the bundle");
      return [];
    }
    if (await ensureProvider(this.#host, CAP_MESSAGING)) this.#addedProviders.push(CAP_MESSAGING);
    this.#streamBindings = await mountStreams(this.#host, app, this.owner, this.#options.messaging, this.logger);
    return handlers.map((h) => h.resource);
  }

  /** Mounts the routes on the host's `wascc:http_server` (added if the host has none). */
  async #mount(app: DirectiveApp, headless: boolean): Promise<RunningBundleInfo["address"]> {
    const http = this.#options.http ?? { port: 8080 };
    const hasRoutes = headless ? this.#bundle.directive.runnables.length > 0 : this.#bundle.directive.handlers.some((h) => h.type === "request");
    if (http === false || !hasRoutes) return undefined;
    if (await ensureProvider(this.#host, CAP_HTTP_SERVER)) this.#addedProviders.push(CAP_HTTP_SERVER);
    const provider = this.#host.provider(CAP_HTTP_SERVER);
    if (!isHttpMountable(provider))
      throw new WactorError("WACTOR_ERR_NO_PROVIDER", `the host's ${CAP_HTTP_SERVER} provider cannot serve a bundle's routes (it has no mount())`);
    const values: Record<string, string> = {
      PORT: String(http.port),
      HOST: http.host ?? "127.0.0.1",
      ...(http.maxBodyBytes !== undefined && { MAX_BODY: String(http.maxBodyBytes) }),
    };
    await provider.mount(this.owner, "default", values, directiveTarget(app));
    this.#mounted = true;
    return provider.address(this.owner, "default");
  }
}
