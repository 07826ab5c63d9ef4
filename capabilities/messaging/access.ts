/**
 * A messaging binding's credentials and TLS, from its values (named like wasmCloud's NATS
 * provider where it has a name): `USER` + `PASSWORD`, `TOKEN`, `CLIENT_SEED` (a user nkey
 * seed; with `CLIENT_JWT`, the JWT's seed), `CLIENT_CREDS` (path of a `.creds` file),
 * `TLS_CA`, `TLS_CERT`, `TLS_KEY` (PEM file paths). Secret values are masked wherever
 * values are shown (`maskValues`).
 */
import { WactorError } from "../../src/errors.js";
import type { NatsAccess, NatsAuth } from "../../src/nats/access.js";

export function accessFromValues(values: Readonly<Record<string, string>>): NatsAccess | undefined {
  const given = (name: string): string | undefined => (values[name]?.trim() ? values[name] : undefined);
  const kinds: NatsAuth[] = [];
  const user = given("USER");
  const password = given("PASSWORD");
  if (user !== undefined || password !== undefined) {
    if (user === undefined || password === undefined) throw new WactorError("WACTOR_ERR_BINDING_INVALID", "USER and PASSWORD go together");
    kinds.push({ kind: "user", user, password });
  }
  const token = given("TOKEN");
  if (token !== undefined) kinds.push({ kind: "token", token });
  const seed = given("CLIENT_SEED");
  const jwt = given("CLIENT_JWT");
  if (jwt !== undefined && seed === undefined) throw new WactorError("WACTOR_ERR_BINDING_INVALID", "CLIENT_JWT needs the CLIENT_SEED it was issued for");
  if (seed !== undefined) kinds.push(jwt !== undefined ? { kind: "jwt", jwt, seed } : { kind: "nkey", seed });
  const creds = given("CLIENT_CREDS");
  if (creds !== undefined) kinds.push({ kind: "creds", file: creds });
  if (kinds.length > 1) throw new WactorError("WACTOR_ERR_BINDING_INVALID", `give one kind of NATS credentials, not ${kinds.map((k) => k.kind).join(" and ")}`);
  const [caFile, certFile, keyFile] = [given("TLS_CA"), given("TLS_CERT"), given("TLS_KEY")];
  const tls = caFile !== undefined || certFile !== undefined || keyFile !== undefined;
  if (!kinds[0] && !tls) return undefined;
  return {
    ...(kinds[0] && { auth: kinds[0] }),
    ...(tls && { tls: { ...(caFile !== undefined && { caFile }), ...(certFile !== undefined && { certFile }), ...(keyFile !== undefined && { keyFile }) } }),
  };
}
