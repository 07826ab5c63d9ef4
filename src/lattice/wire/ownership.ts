/**
 * Which application made something in the lattice (issue 28). The reconciler records it on
 * every link it puts and every actor placement it makes (providers carry the application's
 * name, `providerApps`); what carries no owner was made by hand and no application changes
 * or removes it. A hand-made change to what an application owns is refused unless forced,
 * naming the application and the command that changes it.
 */
import { WactorError } from "../../errors.js";
import type { Binding } from "../../host/bindings.js";

export interface Owner {
  /** The application's name. */
  app: string;
  /** Its version that made (or last adopted) the thing. */
  version: string;
}

/** A binding as the lattice stores it; `owner` is the application whose reconciler put it (none: made by hand). */
export type Link = Binding & { owner?: Owner };

export const isOwner = (v: unknown): v is Owner =>
  typeof v === "object" && v !== null && typeof (v as Owner).app === "string" && (v as Owner).app !== "" && typeof (v as Owner).version === "string";

/** `shop@1.2.0`, or `unmanaged` for what was made by hand. */
export const ownerText = (owner: Owner | undefined): string => (owner ? `${owner.app}@${owner.version}` : "unmanaged");

/** What a forced change is told: it holds only until the application's reconciler looks again. */
export const restoredNote = (owner: Owner): string =>
  `application '${owner.app}' owns this: its reconciler restores it on its next round (change it for good with 'wactor app deploy <manifest of ${owner.app}>')`;

/** Refuses a hand-made change to what an application owns, unless `force`. */
export function assertNotOwned(what: string, owner: Owner | undefined, force: boolean): void {
  if (!owner || force) return;
  throw new WactorError(
    "WACTOR_ERR_OWNED_BY_APP",
    `${what} belongs to application '${owner.app}' (version ${owner.version}): change it with 'wactor app deploy <manifest of ${owner.app}>', or pass --force (the reconciler restores it on its next round)`,
  );
}
