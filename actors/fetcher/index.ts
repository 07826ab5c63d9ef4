// Fetches the URL given as ?url=<percent-encoded URL> (or as the request body) through
// wascc:http_client and answers with the upstream status and body. The binding's
// ALLOWED_HOSTS decides what it may reach; a refusal comes back as 502 with the host's error.
import { HttpClient, register, Request, Response, Result } from "../sdk";
export { __guest_call } from "../sdk";

register("HandleRequest", (payload: ArrayBuffer): Result => {
  const req = Request.decode(payload);
  const url = req.body.length > 0 ? String.UTF8.decode(req.body.buffer) : percentDecode(req.query("url"));
  if (url.length == 0) return Result.success(Response.json(400, "{\"error\":\"give ?url=<url> or the URL as the body\"}").encode());
  const upstream = new HttpClient().get(url);
  if (!upstream.ok) return Result.success(new Response(502, "Bad Gateway", Uint8Array.wrap(String.UTF8.encode(upstream.error))).encode());
  const res = new Response(upstream.statusCode, upstream.status, upstream.body);
  if (upstream.header.has("content-type")) res.header.set("content-type", upstream.header.get("content-type"));
  res.header.set("x-upstream-status", upstream.statusCode.toString());
  return Result.success(res.encode());
});

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Query-string decoding: %XX escapes and '+' as a space. */
function percentDecode(text: string): string {
  const src = Uint8Array.wrap(String.UTF8.encode(text));
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = <i32>src[i];
    if (c == 37 && i + 2 < src.length && hexValue(src[i + 1]) >= 0 && hexValue(src[i + 2]) >= 0) {
      out[n++] = <u8>((hexValue(src[i + 1]) << 4) | hexValue(src[i + 2]));
      i += 2;
    } else out[n++] = c == 43 ? 32 : <u8>c;
  }
  return String.UTF8.decode(out.slice(0, n).buffer);
}
