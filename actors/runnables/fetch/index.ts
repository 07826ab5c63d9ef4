// HTTP client: GET, then POST "posted" (Content-Type text/plain), both with header
// X-Runnable: fetch, to the URL in the input (else state `url`). Answers
// {"get":<body>,"post":<body>}; the first failure is RunErr 500 with the host's text.
import { Http, jsonString, register, Request, Result } from "../../runnable-sdk";
export { allocate, deallocate, run_e } from "../../runnable-sdk";

register((input: ArrayBuffer): Result => {
  const url = input.byteLength > 0 ? String.UTF8.decode(input).trim() : Request.state("url");
  const headers = new Map<string, string>();
  headers.set("X-Runnable", "fetch");
  const got = Http.get(url, headers);
  if (!got.ok) return got;
  headers.set("Content-Type", "text/plain");
  const posted = Http.post(url, String.UTF8.encode("posted"), headers);
  if (!posted.ok) return posted;
  return Result.text("{\"get\":" + jsonString(got.toString()) + ",\"post\":" + jsonString(posted.toString()) + "}");
});
