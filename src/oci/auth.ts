/**
 * Registry authentication: HTTP basic, and the distribution token flow (a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…` sends the client to the token
 * endpoint with its basic credentials, if any, and the token answers the retry).
 */
import { WactorError } from "../errors.js";

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted or bare values). */
export function parseChallenge(header: string): Challenge {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const rest = space < 0 ? "" : header.slice(space + 1);
  for (const match of rest.matchAll(/([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? "";
  }
  return { scheme, params };
}

export function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

/** Credentials from flags, else from OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD (waSCC's variables). */
export function credentialsFrom(user: string | undefined, password: string | undefined, env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  const username = user ?? env.OCI_REGISTRY_USER;
  const secret = password ?? env.OCI_REGISTRY_PASSWORD;
  if (username === undefined && secret === undefined) return undefined;
  if (!username || secret === undefined)
    throw new WactorError(
      "WACTOR_ERR_BAD_ARGUMENT",
      "registry credentials need both a user and a password (--user/--password or OCI_REGISTRY_USER/OCI_REGISTRY_PASSWORD)",
    );
  return { username, password: secret };
}

/**
 * Answers a challenge with the Authorization header to retry with. `fetchToken` performs the
 * token request (the client's own fetch, so timeouts and errors are reported the same way).
 */
export async function answerChallenge(
  challenge: Challenge,
  credentials: RegistryCredentials | undefined,
  scope: string,
  fetchToken: (url: URL, headers: Record<string, string>) => Promise<Response>,
): Promise<string> {
  if (challenge.scheme === "basic") {
    if (!credentials) throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", "the registry asks for basic credentials and none were given");
    return basicHeader(credentials);
  }
  if (challenge.scheme !== "bearer" || !challenge.params.realm) {
    throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `unsupported authentication challenge '${challenge.scheme}'`);
  }
  let url: URL;
  try {
    url = new URL(challenge.params.realm);
  } catch {
    throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `the token realm '${challenge.params.realm}' is not a URL`);
  }
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  url.searchParams.set("scope", challenge.params.scope ?? scope);
  const response = await fetchToken(url, credentials ? { authorization: basicHeader(credentials) } : {});
  if (response.status === 401 || response.status === 403)
    throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `the token endpoint ${url.origin}${url.pathname} refused the credentials (${response.status})`);
  if (!response.ok) throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `the token endpoint ${url.origin}${url.pathname} answered ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
  if (!token) throw new WactorError("WACTOR_ERR_REGISTRY_AUTH", `the token endpoint ${url.origin}${url.pathname} returned no token`);
  return `Bearer ${token}`;
}
