/**
 * A bundle's `type: stream` handlers on `wascc:messaging` (beyond Atmo 0.2.3, as later Atmo
 * did): each handler's resource is a NATS subject, subscribed through the provider's `mount()`
 * in the queue group `<identifier>` (hosts serving the same bundle share the messages). A
 * message runs the handler's sequence; the answer (as the HTTP body would be, or the
 * `{"status","message"}` error) is published to the message's reply subject, if it has one.
 */
import type { Logger } from "pino";
import { CAP_MESSAGING } from "../../codec/mod.js";
import type { DirectiveApp } from "../../directive/app.js";
import { WactorError } from "../../errors.js";
import type { Host } from "../../host/host.js";
import { isMessageMountable } from "../../provider/contract.js";

/** The binding names used, one per stream handler, so `unmountStreams` can release them. */
export async function mountStreams(host: Host, app: DirectiveApp, owner: string, values: Readonly<Record<string, string>>, logger: Logger): Promise<string[]> {
  const provider = host.provider(CAP_MESSAGING);
  if (!isMessageMountable(provider))
    throw new WactorError("WACTOR_ERR_NO_PROVIDER", `the host's ${CAP_MESSAGING} provider cannot serve a bundle's stream handlers (it has no mount())`);
  const bindings: string[] = [];
  try {
    for (const [i, handler] of app.streamHandlers().entries()) {
      const binding = `stream-${i}`;
      const subscription = `${handler.resource}|${app.directive.identifier}`;
      await provider.mount(owner, binding, { ...values, SUBSCRIPTION: subscription }, async (message) => (await app.runStream(handler, message)).body);
      bindings.push(binding);
      logger.debug({ subject: handler.resource, binding }, "stream handler subscribed");
    }
  } catch (err) {
    await unmountStreams(host, owner, bindings);
    throw err;
  }
  return bindings;
}

export async function unmountStreams(host: Host, owner: string, bindings: readonly string[]): Promise<void> {
  const provider = host.provider(CAP_MESSAGING);
  if (!isMessageMountable(provider)) return;
  for (const binding of bindings) await provider.unbind(owner, binding).catch(() => undefined);
}
