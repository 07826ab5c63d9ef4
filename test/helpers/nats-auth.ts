/**
 * Secrets for authenticated and TLS nats-servers in tests, made on the spot: operator-mode
 * JWTs (operator -> account -> user, signed with the project's own nkeys codec), `.creds`
 * files, and a CA with server and client certificates (openssl).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KeyPair } from "../../src/claims/nkeys.js";

const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString("base64url");

/** A NATS v2 JWT (`alg: ed25519-nkey`) issued by `issuer` for `subject`. */
export function natsJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = { jti: randomBytes(16).toString("hex").toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: issuer.publicKey, name, sub: subject, nats };
  const body = b64url(JSON.stringify(claims));
  return `${header}.${body}.${b64url(issuer.sign(new TextEncoder().encode(`${header}.${body}`)))}`;
}

export function credsFileText(jwt: string, seed: string): string {
  return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
}

export interface OperatorMode {
  /** The server's configuration lines (operator, memory resolver with the account preloaded). */
  config: string;
  account: KeyPair;
  /** A user of the account, its JWT and a `.creds` file holding both. */
  user: KeyPair;
  userJwt: string;
  credsFile: string;
  /** A user signed by another account, unknown to the server. */
  strangerCredsFile: string;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

export async function operatorMode(dir: string): Promise<OperatorMode> {
  const operator = KeyPair.create("operator");
  const account = KeyPair.create("account");
  const user = KeyPair.create("user");
  const operatorJwt = natsJwt(operator, operator.publicKey, "wactor-test-operator", { type: "operator", version: 2 });
  const limits = { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const accountJwt = natsJwt(operator, account.publicKey, "wactor", { limits, type: "account", version: 2 });
  const userJwt = natsJwt(account, user.publicKey, "host", { pub: {}, sub: {}, ...UNLIMITED, type: "user", version: 2 });
  const credsFile = join(dir, "host.creds");
  await writeFile(credsFile, credsFileText(userJwt, user.seed), { mode: 0o600 });
  const stranger = KeyPair.create("user");
  const strangerCredsFile = join(dir, "stranger.creds");
  await writeFile(
    strangerCredsFile,
    credsFileText(
      natsJwt(KeyPair.create("account"), stranger.publicKey, "stranger", { pub: {}, sub: {}, ...UNLIMITED, type: "user", version: 2 }),
      stranger.seed,
    ),
  );
  // JetStream in operator mode needs a system account.
  const system = KeyPair.create("account");
  const systemJwt = natsJwt(operator, system.publicKey, "SYS", {
    limits: { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
    type: "account",
    version: 2,
  });
  const config = [
    `operator: "${operatorJwt}"`,
    `system_account: ${system.publicKey}`,
    "resolver: MEMORY",
    `resolver_preload: { ${account.publicKey}: "${accountJwt}", ${system.publicKey}: "${systemJwt}" }`,
  ].join("\n");
  return { config, account, user, userJwt, credsFile, strangerCredsFile };
}

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA nobody trusts, and a client certificate it signed. */
  rogueCa: string;
  rogueClientCert: string;
  rogueClientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
}

async function makeCert(dir: string, ca: string, name: string, ext: string): Promise<void> {
  openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  await writeFile(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a rogue CA with its own client certificate. */
export async function makePki(dir: string): Promise<Pki> {
  makeCa(dir, "ca");
  makeCa(dir, "rogue-ca");
  await makeCert(dir, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await makeCert(dir, "ca", "client", "extendedKeyUsage=clientAuth\n");
  await makeCert(dir, "rogue-ca", "rogue-client", "extendedKeyUsage=clientAuth\n");
  const at = (file: string): string => join(dir, file);
  return {
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    rogueCa: at("rogue-ca.pem"),
    rogueClientCert: at("rogue-client.pem"),
    rogueClientKey: at("rogue-client.key"),
  };
}
