/**
 * Authentication and TLS against real nats-servers (loopback): every method is accepted with
 * the right secret and refused with a wrong one — by the lattice connection (fast, with
 * WACTOR_ERR_LATTICE_UNAVAILABLE naming the cause) and by the messaging provider (the
 * binding fails with the cause) — and no error message carries the secret.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessagingProvider } from "../capabilities/messaging/mod.js";
import { KeyPair } from "../src/claims/nkeys.js";
import { isWactorError } from "../src/errors.js";
import type { ActorIdentity } from "../src/provider/contract.js";
import { ControlClient } from "../src/lattice/mod.js";
import type { NatsAccess } from "../src/nats/access.js";
import { natsAccessFromFlags } from "../src/cli/nats-flags.js";
import { maskValues } from "../src/lattice/wire/mask.js";
import { wactor } from "./helpers/cli.js";
import { joinMember, leaveMember } from "./helpers/lattice-member.js";
import { makePki, operatorMode, type OperatorMode, type Pki } from "./helpers/nats-auth.js";
import { startNatsWithConfig, type NatsNode } from "./helpers/nats-cluster.js";

const js = (dir: string): string => `jetstream { store_dir: "${dir}/js" }`;
const ACTOR: ActorIdentity = { key: "MAUTHACTOR", issuer: "AISSUER", caps: ["wascc:messaging"] };

/** What a connection attempt came to: "ok", or the catalog code and message. */
async function latticeOutcome(url: string, access: NatsAccess): Promise<{ outcome: string; message: string }> {
  try {
    const client = await ControlClient.connect({ url, access, timeoutMs: 3000 });
    await client.close();
    return { outcome: "ok", message: "" };
  } catch (err) {
    return { outcome: isWactorError(err) ? err.code : `not a WactorError: ${String(err)}`, message: (err as Error).message };
  }
}

const provider = new MessagingProvider({ connectTimeoutMs: 2000 });
async function bindOutcome(url: string, values: Record<string, string>): Promise<{ outcome: string; message: string }> {
  try {
    await provider.bind(ACTOR, "default", { URL: url, ...values });
    await provider.unbind(ACTOR.key, "default");
    return { outcome: "ok", message: "" };
  } catch (err) {
    return { outcome: isWactorError(err) ? err.code : `not a WactorError: ${String(err)}`, message: (err as Error).message };
  }
}

const servers: NatsNode[] = [];
let users: NatsNode;
let tokenServer: NatsNode;
let operator: NatsNode;
let tlsServer: NatsNode;
let op: OperatorMode;
let pki: Pki;
const nkeyUser = KeyPair.create("user");
const PASSWORD = "s3cret-pa55word";
const TOKEN = "t0ken-do-not-print";

beforeAll(async () => {
  await provider.start({ logger: pino({ level: "silent" }), deliver: async () => new Uint8Array() });
  // Each server is registered as soon as it runs, so a failure further on leaves none behind.
  const started = async (server: Promise<NatsNode>): Promise<NatsNode> => {
    const node = await server;
    servers.push(node);
    return node;
  };
  users = await started(
    startNatsWithConfig("users", (port, dir) =>
      [`listen: "127.0.0.1:${port}"`, js(dir), `authorization { users: [ { user: alice, password: "${PASSWORD}" }, { nkey: ${nkeyUser.publicKey} } ] }`].join(
        "\n",
      ),
    ),
  );
  tokenServer = await started(
    startNatsWithConfig("token", (port, dir) => [`listen: "127.0.0.1:${port}"`, js(dir), `authorization { token: "${TOKEN}" }`].join("\n")),
  );
  operator = await started(
    startNatsWithConfig("operator", async (port, dir) => {
      op = await operatorMode(dir);
      return [`listen: "127.0.0.1:${port}"`, js(dir), op.config].join("\n");
    }),
  );
  tlsServer = await started(
    startNatsWithConfig("tls", async (port, dir) => {
      pki = await makePki(dir);
      return [
        `listen: "127.0.0.1:${port}"`,
        js(dir),
        `tls { cert_file: "${pki.serverCert}", key_file: "${pki.serverKey}", ca_file: "${pki.ca}", verify: true }`,
      ].join("\n");
    }),
  );
}, 60_000);

afterAll(async () => {
  await provider.stop();
  await Promise.all(servers.map((s) => s.stop()));
});

describe("lattice connection: each auth method", () => {
  it("user and password: accepted; a wrong password refused, naming the cause, the password never shown", async () => {
    expect((await latticeOutcome(users.url, { auth: { kind: "user", user: "alice", password: PASSWORD } })).outcome).toBe("ok");
    const wrong = await latticeOutcome(users.url, { auth: { kind: "user", user: "alice", password: "not-the-password" } });
    expect(wrong.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(wrong.message).toContain("authentication refused");
    expect(wrong.message).toContain("user 'alice'");
    expect(wrong.message).not.toContain("not-the-password");
    expect((await latticeOutcome(users.url, {})).outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
  });

  it("a password inside the URL is masked in the error", async () => {
    const port = new URL(users.url).port;
    const wrong = await latticeOutcome(`nats://alice:url-secret@127.0.0.1:${port}`, {});
    expect(wrong.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(wrong.message).not.toContain("url-secret");
    expect(wrong.message).toContain("alice:***@");
  });

  it("nkey seed: accepted; another user's seed refused", async () => {
    expect((await latticeOutcome(users.url, { auth: { kind: "nkey", seed: nkeyUser.seed } })).outcome).toBe("ok");
    const other = KeyPair.create("user").seed;
    const wrong = await latticeOutcome(users.url, { auth: { kind: "nkey", seed: other } });
    expect(wrong.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(wrong.message).toContain("authentication refused");
    expect(wrong.message).not.toContain(other);
  });

  it("token: accepted; a wrong token refused and not shown", async () => {
    expect((await latticeOutcome(tokenServer.url, { auth: { kind: "token", token: TOKEN } })).outcome).toBe("ok");
    const wrong = await latticeOutcome(tokenServer.url, { auth: { kind: "token", token: "wrong-token-value" } });
    expect(wrong.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(wrong.message).not.toContain("wrong-token-value");
  });

  it(".creds file and JWT + seed (operator mode): accepted; a user of an unknown account refused", async () => {
    expect((await latticeOutcome(operator.url, { auth: { kind: "creds", file: op.credsFile } })).outcome).toBe("ok");
    expect((await latticeOutcome(operator.url, { auth: { kind: "jwt", jwt: op.userJwt, seed: op.user.seed } })).outcome).toBe("ok");
    const stranger = await latticeOutcome(operator.url, { auth: { kind: "creds", file: op.strangerCredsFile } });
    expect(stranger.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(stranger.message).toContain("authentication refused");
    // The right JWT with another key's seed cannot sign the server's nonce.
    expect((await latticeOutcome(operator.url, { auth: { kind: "jwt", jwt: op.userJwt, seed: KeyPair.create("user").seed } })).outcome).toBe(
      "WACTOR_ERR_LATTICE_UNAVAILABLE",
    );
  });

  it("a missing .creds file is a file error before any connection", async () => {
    expect((await latticeOutcome(operator.url, { auth: { kind: "creds", file: "/nonexistent/host.creds" } })).outcome).toBe("WACTOR_ERR_FILE_READ");
  });

  it("TLS: a trusted CA and a client certificate work; an untrusted server certificate and a rogue client certificate are refused", async () => {
    expect((await latticeOutcome(tlsServer.url, { tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey } })).outcome).toBe("ok");
    const untrustedServer = await latticeOutcome(tlsServer.url, { tls: { caFile: pki.rogueCa, certFile: pki.clientCert, keyFile: pki.clientKey } });
    expect(untrustedServer.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(untrustedServer.message).toContain("TLS handshake failed");
    const rogueClient = await latticeOutcome(tlsServer.url, { tls: { caFile: pki.ca, certFile: pki.rogueClientCert, keyFile: pki.rogueClientKey } });
    expect(rogueClient.outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(rogueClient.message).toContain("client certificate");
    expect((await latticeOutcome(tlsServer.url, {})).outcome).toBe("WACTOR_ERR_LATTICE_UNAVAILABLE");
  });

  it("a host joins a lattice with a .creds file and serves through it", async () => {
    const member = await joinMember(operator.url, { cluster: KeyPair.create("cluster"), access: { auth: { kind: "creds", file: op.credsFile } } });
    try {
      const client = await ControlClient.connect({ url: operator.url, access: { auth: { kind: "creds", file: op.credsFile } } });
      try {
        expect((await client.getHosts(800, 200)).map((h) => h.id)).toContain(member.lattice.hostId);
      } finally {
        await client.close();
      }
    } finally {
      await leaveMember(member);
    }
  });
});

describe("messaging provider: each auth method, from binding values", () => {
  it("USER/PASSWORD, CLIENT_SEED (nkey), TOKEN: accepted with the right secret, refused with a wrong one", async () => {
    expect((await bindOutcome(users.url, { USER: "alice", PASSWORD })).outcome).toBe("ok");
    const wrong = await bindOutcome(users.url, { USER: "alice", PASSWORD: "bad-password-x" });
    expect(wrong.outcome).toBe("WACTOR_ERR_BINDING_FAILED");
    expect(wrong.message).toContain("authentication refused");
    expect(wrong.message).not.toContain("bad-password-x");
    expect((await bindOutcome(users.url, { CLIENT_SEED: nkeyUser.seed })).outcome).toBe("ok");
    expect((await bindOutcome(users.url, { CLIENT_SEED: KeyPair.create("user").seed })).outcome).toBe("WACTOR_ERR_BINDING_FAILED");
    expect((await bindOutcome(tokenServer.url, { TOKEN })).outcome).toBe("ok");
    expect((await bindOutcome(tokenServer.url, { TOKEN: "nope" })).outcome).toBe("WACTOR_ERR_BINDING_FAILED");
  });

  it("CLIENT_CREDS and CLIENT_JWT + CLIENT_SEED: accepted; an unknown account's creds refused", async () => {
    expect((await bindOutcome(operator.url, { CLIENT_CREDS: op.credsFile })).outcome).toBe("ok");
    expect((await bindOutcome(operator.url, { CLIENT_JWT: op.userJwt, CLIENT_SEED: op.user.seed })).outcome).toBe("ok");
    expect((await bindOutcome(operator.url, { CLIENT_CREDS: op.strangerCredsFile })).outcome).toBe("WACTOR_ERR_BINDING_FAILED");
    expect((await bindOutcome(operator.url, { CLIENT_JWT: op.userJwt })).outcome).toBe("WACTOR_ERR_BINDING_INVALID");
  });

  it("TLS_CA/TLS_CERT/TLS_KEY: a trusted server works; an untrusted one and a rogue client certificate are refused", async () => {
    expect((await bindOutcome(tlsServer.url, { TLS_CA: pki.ca, TLS_CERT: pki.clientCert, TLS_KEY: pki.clientKey })).outcome).toBe("ok");
    expect((await bindOutcome(tlsServer.url, { TLS_CA: pki.rogueCa, TLS_CERT: pki.clientCert, TLS_KEY: pki.clientKey })).outcome).toBe(
      "WACTOR_ERR_BINDING_FAILED",
    );
    expect((await bindOutcome(tlsServer.url, { TLS_CA: pki.ca, TLS_CERT: pki.rogueClientCert, TLS_KEY: pki.rogueClientKey })).outcome).toBe(
      "WACTOR_ERR_BINDING_FAILED",
    );
  });

  it("secret binding values are masked wherever values are shown; paths and names are not", () => {
    const shown = maskValues({
      URL: "nats://127.0.0.1:4222",
      USER: "alice",
      PASSWORD,
      TOKEN,
      CLIENT_SEED: nkeyUser.seed,
      CLIENT_JWT: "eyJ.x.y",
      CLIENT_CREDS: "/etc/host.creds",
      TLS_CA: "/etc/ca.pem",
    });
    expect(shown).toEqual({
      URL: "nats://127.0.0.1:4222",
      USER: "alice",
      PASSWORD: "****",
      TOKEN: "****",
      CLIENT_SEED: "****",
      CLIENT_JWT: "****",
      CLIENT_CREDS: "/etc/host.creds",
      TLS_CA: "/etc/ca.pem",
    });
  });

  it("two kinds of credentials at once are an invalid binding", async () => {
    expect((await bindOutcome(users.url, { USER: "alice", PASSWORD, TOKEN })).outcome).toBe("WACTOR_ERR_BINDING_INVALID");
  });
});

describe("wactor CLI: NATS credentials flags", () => {
  it("a wrong password fails with the cause and without the password; the right one shows the lattice's buckets at one replica on a single server", () => {
    const wrong = wactor(["ctl", "get", "lattice", "--lattice", users.url, "--nats-user", "alice", "--nats-password", "wrong-pw-123"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("WACTOR_ERR_LATTICE_UNAVAILABLE");
    expect(wrong.stderr).toContain("authentication refused");
    expect(wrong.stdout + wrong.stderr).not.toContain("wrong-pw-123");
    const right = wactor(["ctl", "get", "lattice", "--json", "--lattice", users.url, "--nats-user", "alice", "--nats-password", PASSWORD]);
    expect(right.stderr).toBe("");
    expect(right.status).toBe(0);
    const state = JSON.parse(right.stdout) as { buckets: Array<{ bucket: string; replicas: number; state: string }> };
    expect(state.buckets.map((b) => b.bucket)).toEqual(expect.arrayContaining(["wactor_default_links", "wactor_default_claims", "wactor_default_actors"]));
    for (const b of state.buckets) expect({ replicas: b.replicas, state: b.state }).toEqual({ replicas: 1, state: "ok" });
  });

  it("--nats-credsfile joins an operator-mode server; --js-replicas 3 on a single server is refused with the reason", () => {
    const ok = wactor(["ctl", "get", "lattice", "--lattice", operator.url, "--nats-credsfile", op.credsFile]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("wactor_default_links");
    const r3 = wactor(["ctl", "get", "lattice", "--lattice", tokenServer.url, "--nats-token", TOKEN, "--lattice-name", "r3", "--js-replicas", "3"]);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain("WACTOR_ERR_LATTICE_STATE_WRITE");
    expect(r3.stderr).toContain("non-clustered");
  });

  it("flags become one kind of credentials; secrets may come from the environment; two kinds are refused", () => {
    expect(natsAccessFromFlags({ natsUser: "alice" }, { WACTOR_NATS_PASSWORD: "pw" })).toEqual({ auth: { kind: "user", user: "alice", password: "pw" } });
    expect(natsAccessFromFlags({}, { WACTOR_NATS_SEED: nkeyUser.seed })).toEqual({ auth: { kind: "nkey", seed: nkeyUser.seed } });
    expect(natsAccessFromFlags({ natsJwt: "eyJ.x.y", natsSeed: nkeyUser.seed, jsDomain: "hub", jsReplicas: "3" }, {})).toEqual({
      auth: { kind: "jwt", jwt: "eyJ.x.y", seed: nkeyUser.seed },
      jsDomain: "hub",
      replicas: 3,
    });
    expect(natsAccessFromFlags({}, {})).toBeUndefined();
    expect(() => natsAccessFromFlags({ natsToken: "t", natsCredsfile: "/x.creds" }, {})).toThrow(/one kind of NATS credentials/);
    expect(() => natsAccessFromFlags({ natsUser: "alice" }, {})).toThrow(/needs a password/);
    expect(() => natsAccessFromFlags({ jsReplicas: "7" }, {})).toThrow(/--js-replicas/);
  });
});
