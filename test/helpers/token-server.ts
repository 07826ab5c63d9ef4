/**
 * A registry token service (the distribution token flow) for tests: checks basic
 * credentials and issues ES256 JWTs carrying the granted access, with its self-signed
 * certificate in the `x5c` header, which the registry checks against its root bundle.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { importPKCS8, SignJWT } from "jose";
import { freePort } from "./servers.js";

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Token requests seen, with their scope, to assert the flow ran. */
  requests: Array<{ scope: string; user: string | undefined }>;
  close(): Promise<void>;
}

export async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  const keyFile = join(dir, "token.key");
  const certFile = join(dir, "token.crt");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-subj",
      "/CN=wactor-test-token",
      "-days",
      "1",
    ],
    { stdio: "ignore" },
  );
  if (made.status !== 0) throw new Error("openssl could not make the token certificate");
  const key = await importPKCS8(readFileSync(keyFile, "utf8"), "ES256");
  const certDer = readFileSync(certFile, "utf8").replace(/-----[A-Z ]+-----|\s/g, "");
  const port = await freePort();
  const service = "wactor-test-registry";
  const issuer = "wactor-test-issuer";
  const requests: TokenServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const [user, password] = basic ? Buffer.from(basic, "base64").toString().split(":") : [];
      const scope = url.searchParams.get("scope") ?? "";
      requests.push({ scope, user });
      if (user === undefined || users[user] !== password) {
        res.writeHead(401, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const [type, name, actions] = scope.split(":");
      const token = await new SignJWT({ access: type && name && actions ? [{ type, name, actions: actions.split(",") }] : [] })
        .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c: [certDer] })
        .setIssuer(issuer)
        .setSubject(user)
        .setAudience(service)
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime("5m")
        .setJti(`${Date.now()}-${requests.length}`)
        .sign(key);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certFile, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
