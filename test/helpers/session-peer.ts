/**
 * A hand-driven lattice participant for attack tests: it holds a real session (or none) on a
 * real NATS server and builds invocation envelopes byte by byte, to send as they are or altered.
 */
import { connect, type NatsConnection } from "nats";
import { KeyPair } from "../../src/claims/nkeys.js";
import { decodeReply, type Entity, type InvocationReply } from "../../src/lattice/wire/invocation.js";
import { SessionTable } from "../../src/lattice/sessions/session-table.js";
import { latticeSubjects } from "../../src/lattice/wire/subjects.js";
import { eventually } from "./eventually.js";

const subjects = latticeSubjects("default");

export interface PeerOptions {
  cluster: KeyPair;
  /** Cluster keys whose sessions this peer accepts (the hosts it talks to). */
  trusts: string[];
  /** Announce this peer's session (an outsider that never did has none anywhere). */
  announce?: boolean;
  lifetimeSeconds?: number;
}

export class SessionPeer {
  readonly table: SessionTable;
  /** The last announcement heard from each host. */
  readonly tokens: Map<string, string>;
  readonly #nc: NatsConnection;

  private constructor(table: SessionTable, nc: NatsConnection, tokens: Map<string, string>) {
    this.table = table;
    this.#nc = nc;
    this.tokens = tokens;
  }

  static async join(url: string, options: PeerOptions): Promise<SessionPeer> {
    const table = new SessionTable({
      lattice: "default",
      hostKey: KeyPair.create("server"),
      clusterKey: options.cluster,
      trusted: [options.cluster.publicKey, ...options.trusts],
      lifetimeSeconds: options.lifetimeSeconds ?? 3600,
    });
    const nc = await connect({ servers: url });
    const tokens = new Map<string, string>();
    nc.subscribe(subjects.sessions, {
      callback: (_err, msg) => {
        try {
          const { hostId, token } = JSON.parse(new TextDecoder().decode(msg.data)) as { hostId: string; token: string };
          tokens.set(hostId, token);
          table.accept(token);
        } catch {
          // Announcements this peer does not trust are ignored, like a host would.
        }
      },
    });
    // The hello makes every host announce itself back. A peer that does not announce hears
    // the hosts' sessions only when they announce for someone else.
    if (options.announce !== false)
      nc.publish(subjects.sessions, new TextEncoder().encode(JSON.stringify({ hostId: table.hostId, token: table.current.token, hello: true })));
    await nc.flush();
    return new SessionPeer(table, nc, tokens);
  }

  async knows(hostId: string): Promise<void> {
    await eventually(() => {
      if (!this.table.hasSession(hostId)) throw new Error(`no session with ${hostId} yet`);
    });
  }

  seal(toHost: string, actorKey: string, operation: string, msg: Uint8Array): Uint8Array {
    // As `wactor call --lattice` does: the calling host stands for the origin.
    const origin: Entity = { kind: "actor", key: this.table.hostId };
    const sealed = this.table.seal(toHost, origin, { kind: "actor", key: actorKey }, operation, msg);
    if (!sealed) throw new Error(`no session with ${toHost}`);
    return sealed;
  }

  async send(toHost: string, envelope: Uint8Array): Promise<InvocationReply> {
    return decodeReply((await this.#nc.request(subjects.hostInvocations(toHost), envelope, { timeout: 5000 })).data);
  }

  async close(): Promise<void> {
    await this.#nc.close();
  }
}
