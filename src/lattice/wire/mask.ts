/**
 * Binding values that look secret (…_TOKEN, PASSWORD, API_KEY, CLIENT_SEED, CLIENT_JWT, the
 * http_client's AUTH_HEADER_<host>, …) are shown as ****, everywhere values are shown.
 */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|SEED|JWT|(^|_)KEY$|^AUTH_HEADER_|AUTHORIZATION/i;

export function maskValues(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, SECRET_NAME.test(k) ? "****" : v]));
}
