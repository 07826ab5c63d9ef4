/**
 * The NATS connection flags every lattice-facing command shares (named like wasmCloud's
 * host flags). Secrets can come from the environment instead of the command line, where
 * `ps` would show them: WACTOR_NATS_PASSWORD, WACTOR_NATS_TOKEN, WACTOR_NATS_SEED.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { WactorError } from "../errors.js";
import type { NatsAccess, NatsAuth } from "../nats/access.js";

export interface NatsFlags {
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsSeed?: string;
  natsJwt?: string;
  natsCredsfile?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  jsDomain?: string;
  jsReplicas?: string;
}

export function withNatsFlags(command: Command): Command {
  return command
    .option("--nats-user <name>", "NATS user (password: --nats-password or env WACTOR_NATS_PASSWORD)")
    .option("--nats-password <password>", "NATS password (prefer env WACTOR_NATS_PASSWORD)")
    .option("--nats-token <token>", "NATS token (prefer env WACTOR_NATS_TOKEN)")
    .option("--nats-seed <seed|file>", "user nkey seed SU… (prefer env WACTOR_NATS_SEED); with --nats-jwt, the JWT's seed")
    .option("--nats-jwt <jwt|file>", "user JWT (operator mode), signed for the --nats-seed key")
    .option("--nats-credsfile <file>", "a .creds file (user JWT + seed), as operator-mode servers and Synadia Cloud hand out")
    .option("--nats-tls-ca <file>", "CA (PEM) that signed the NATS server's certificate; turns TLS on")
    .option("--nats-tls-cert <file>", "client certificate (PEM) for servers that verify clients; turns TLS on")
    .option("--nats-tls-key <file>", "key (PEM) of the client certificate")
    .option("--js-domain <domain>", "JetStream domain holding the lattice's state (JetStream behind a leaf node)")
    .option("--js-replicas <n>", "replicas of the lattice buckets created by this process (default: 3 on a cluster of 3+ JetStream servers, else 1)");
}

/** A value given inline or as the path of a file holding it. */
function inlineOrFile(value: string): string {
  return existsSync(value) ? readFileSync(value, "utf8").trim() : value.trim();
}

export function natsAccessFromFlags(flags: NatsFlags, env: NodeJS.ProcessEnv = process.env): NatsAccess | undefined {
  const password = flags.natsPassword ?? env.WACTOR_NATS_PASSWORD;
  const token = flags.natsToken ?? env.WACTOR_NATS_TOKEN;
  const seed = flags.natsSeed ?? env.WACTOR_NATS_SEED;
  const kinds: NatsAuth[] = [];
  if (flags.natsUser !== undefined) {
    if (password === undefined) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--nats-user needs a password: --nats-password or env WACTOR_NATS_PASSWORD");
    kinds.push({ kind: "user", user: flags.natsUser, password });
  }
  if (token !== undefined) kinds.push({ kind: "token", token });
  if (flags.natsJwt !== undefined) {
    if (seed === undefined)
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", "--nats-jwt needs the seed it was issued for: --nats-seed or env WACTOR_NATS_SEED");
    kinds.push({ kind: "jwt", jwt: inlineOrFile(flags.natsJwt), seed: inlineOrFile(seed) });
  } else if (seed !== undefined) kinds.push({ kind: "nkey", seed: inlineOrFile(seed) });
  if (flags.natsCredsfile !== undefined) kinds.push({ kind: "creds", file: flags.natsCredsfile });
  if (kinds.length > 1) throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `give one kind of NATS credentials, not ${kinds.map((k) => k.kind).join(" and ")}`);
  const tls = flags.natsTlsCa !== undefined || flags.natsTlsCert !== undefined || flags.natsTlsKey !== undefined;
  const replicas = flags.jsReplicas === undefined ? undefined : Number(flags.jsReplicas);
  if (replicas !== undefined && (!/^\d$/.test(flags.jsReplicas!.trim()) || replicas < 1 || replicas > 5)) {
    throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--js-replicas '${flags.jsReplicas}' must be 1 to 5 (3 or 5 for a cluster)`);
  }
  const access: NatsAccess = {
    ...(kinds[0] && { auth: kinds[0] }),
    ...(tls && {
      tls: {
        ...(flags.natsTlsCa !== undefined && { caFile: flags.natsTlsCa }),
        ...(flags.natsTlsCert !== undefined && { certFile: flags.natsTlsCert }),
        ...(flags.natsTlsKey !== undefined && { keyFile: flags.natsTlsKey }),
      },
    }),
    ...(flags.jsDomain !== undefined && { jsDomain: flags.jsDomain }),
    ...(replicas !== undefined && { replicas }),
  };
  return Object.keys(access).length > 0 ? access : undefined;
}
