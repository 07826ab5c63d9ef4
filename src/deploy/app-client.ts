/**
 * What `wactor app` does: turns an application manifest into desired state (after verifying
 * every actor's claims and uploading the modules), waits until the reconciler reports it
 * deployed, and reads status and history. `deploy` never says "deployed" for an
 * application that is not running.
 */
import { mayBind } from "../claims/may-bind.js";
import type { ActorClaims } from "../claims/types.js";
import { WactorError } from "../errors.js";
import { normalizeBinding } from "../provider/contract.js";
import { ControlClient, type ClientOptions } from "../lattice/control/control-client.js";
import type { RecordProofs } from "../lattice/trust/record-proof.js";
import type { AppManifest } from "./app-manifest.js";
import { AppStore } from "./app-store.js";
import type { AppStatus, DesiredActor, DesiredApp } from "./app-types.js";
import { uploadBundle } from "./app-bundles.js";

/** How often a deploy reads its status while no watch can be started. */
export const STATUS_POLL_MS = 500;

export interface WaitOptions {
  timeoutMs?: number;
  onStatus?: (status: AppStatus) => void;
}

export class AppClient {
  /** Over an open control client and application store (connect() opens both on a lattice). */
  constructor(
    readonly control: ControlClient,
    readonly store: AppStore,
  ) {}

  /** `proofs`: statuses read are checked (signed by the reconciler's cluster key), the verdict in their `proof`. */
  static async connect(options: ClientOptions & { proofs?: RecordProofs }): Promise<AppClient> {
    const control = await ControlClient.connect(options);
    try {
      // Versions are stored signed by the operator's key when the client has one.
      return new AppClient(
        control,
        await AppStore.open(control.buckets, control.subjects, {
          ...(options.signer && { signer: options.signer }),
          ...(options.proofs && { proofs: options.proofs }),
        }),
      );
    } catch (err) {
      await control.close();
      throw err;
    }
  }

  close(): Promise<void> {
    return this.control.close();
  }

  /** Verifies and uploads every actor, stores the new version, and waits until it is deployed. */
  async deploy(manifest: AppManifest, wait: WaitOptions = {}): Promise<AppStatus> {
    // Everything is checked before anything is stored: a module whose claims do not verify stops the deploy here.
    const modules: Array<{ digest: string; claims: ActorClaims }> = [];
    for (const actor of manifest.actors)
      modules.push(actor.source ? await this.control.uploadModule(actor.source) : await this.control.resolveModule(actor.ref!));
    // Bundles: the seal and every function's claims checked here first, then the archive uploaded.
    const bundles = [];
    for (const spec of manifest.bundles) bundles.push(await uploadBundle(this.control.artifacts.store, spec));
    const bundleFunctions = bundles.flatMap((b) => b.functions);
    const keyOf = (ref: string): string => {
      const found = [...modules, ...bundleFunctions].find((m) => m.claims.subject === ref || m.claims.name === ref);
      if (!found)
        throw new WactorError("WACTOR_ERR_MANIFEST_REFERENCE", `${manifest.file}: link names actor '${ref}', which is not an actor of this application`);
      return found.claims.subject;
    };
    const links = manifest.links.map((l) => {
      const actorKey = keyOf(l.actor);
      const claims = [...modules, ...bundleFunctions].find((m) => m.claims.subject === actorKey)!.claims;
      if (!mayBind({ key: actorKey, caps: claims.caps }, l.capability)) {
        throw new WactorError(
          "WACTOR_ERR_PERMISSION_DENIED",
          `${manifest.file}: actor ${claims.name ?? actorKey} did not claim ${l.capability}; it cannot be linked to it`,
        );
      }
      return { actorKey, capabilityId: l.capability, binding: normalizeBinding(l.binding), values: l.values };
    });
    // A link the manifest gives for a function's capability replaces the one made for the bundle.
    for (const l of bundles.flatMap((b) => b.links))
      if (!links.some((m) => m.actorKey === l.actorKey && m.capabilityId === l.capabilityId && m.binding === l.binding)) links.push(l);
    const previous = await this.store.getDesired(manifest.name);
    const actors: DesiredActor[] = manifest.actors.map((a, i) => ({
      key: modules[i]!.claims.subject,
      name: modules[i]!.claims.name,
      digest: modules[i]!.digest,
      replicas: a.replicas,
      instances: a.instances,
      spread: a.spread,
    }));
    actors.push(...bundles.flatMap((b) => b.actors));
    const desired: DesiredApp = {
      name: manifest.name,
      version: manifest.version,
      deployedAt: new Date().toISOString(),
      undeployed: false,
      actors,
      providers: manifest.providers,
      links,
      ...(bundles.length > 0 && { bundles: bundles.map((b) => b.desired) }),
      owned: [...new Set([...(previous?.owned ?? []), ...actors.map((a) => a.key)])],
    };
    await this.store.putDesired(desired);
    return this.waitFor(desired, (s) => s.phase === "deployed", wait);
  }

  async undeploy(name: string, wait: WaitOptions = {}): Promise<AppStatus> {
    const current = await this.requireApp(name);
    const desired: DesiredApp = { ...current, undeployed: true, deployedAt: new Date().toISOString() };
    await this.store.putDesired(desired);
    return this.waitFor(desired, (s) => s.phase === "undeployed", wait);
  }

  async list(): Promise<Array<{ app: DesiredApp; status: AppStatus | undefined }>> {
    const apps = await this.store.listDesired();
    return Promise.all(apps.map(async (app) => ({ app, status: await this.store.getStatus(app.name) })));
  }

  async status(name: string): Promise<{ app: DesiredApp; status: AppStatus | undefined }> {
    const app = await this.requireApp(name);
    return { app, status: await this.store.getStatus(name) };
  }

  async history(name: string): Promise<DesiredApp[]> {
    const versions = await this.store.history(name);
    if (versions.length === 0) throw new WactorError("WACTOR_ERR_APP_NOT_FOUND", name);
    return versions;
  }

  watchStatus(name: string, onStatus: (status: AppStatus) => void): Promise<() => void> {
    return this.store.watchStatus(name, onStatus);
  }

  private async requireApp(name: string): Promise<DesiredApp> {
    const app = await this.store.getDesired(name);
    if (!app) throw new WactorError("WACTOR_ERR_APP_NOT_FOUND", name);
    return app;
  }

  /**
   * Resolves with the first status of this deployment that is `done`; times out naming what is
   * missing. Statuses come from a KV watch; while one cannot be started (after a JetStream
   * server dies, creating a consumer can fail for tens of seconds while plain reads work), the
   * status is read every STATUS_POLL_MS instead: the deployment goes on either way.
   */
  private async waitFor(desired: DesiredApp, done: (s: AppStatus) => boolean, wait: WaitOptions): Promise<AppStatus> {
    const timeoutMs = wait.timeoutMs ?? 60_000;
    let last: AppStatus | undefined;
    let stop: (() => void) | undefined;
    let poller: NodeJS.Timeout | undefined;
    try {
      return await new Promise<AppStatus>((resolve, reject) => {
        const timer = setTimeout(() => {
          const missing = last
            ? [...last.problems, ...last.pending.map((p) => `pending: ${p}`)].join("; ") || `phase ${last.phase}`
            : "no reconciler reported on it: is any host running 'wactor up --lattice'?";
          reject(new WactorError("WACTOR_ERR_DEPLOY_TIMEOUT", `${desired.name} ${desired.version} after ${timeoutMs} ms: ${missing}`));
        }, timeoutMs);
        // Statuses of this deployment only.
        const onStatus = (s: AppStatus): void => {
          if (s.deployedAt !== desired.deployedAt) return;
          last = s;
          wait.onStatus?.(s);
          // Another application owns part of this one: waiting would not change that.
          if (s.phase === "conflict" && !desired.undeployed) {
            clearTimeout(timer);
            reject(
              new WactorError(
                "WACTOR_ERR_APP_CONFLICT",
                `${desired.name} ${desired.version} conflicts with ${(s.conflictsWith ?? []).map((n) => `'${n}'`).join(", ")}: ${(s.conflicts ?? []).join("; ")}`,
              ),
            );
            return;
          }
          if (done(s)) {
            clearTimeout(timer);
            resolve(s);
          }
        };
        const poll = (): void => {
          poller = setTimeout(() => {
            // A failed read is tried again at the next tick; the deploy's own timeout bounds it all.
            this.store
              .getStatus(desired.name)
              .then(
                (s) => s && onStatus(s),
                () => undefined,
              )
              .finally(() => poller && poll());
          }, STATUS_POLL_MS);
        };
        this.watchStatus(desired.name, onStatus).then((fn) => (stop = fn), poll);
      });
    } finally {
      stop?.();
      clearTimeout(poller);
      poller = undefined;
    }
  }
}
