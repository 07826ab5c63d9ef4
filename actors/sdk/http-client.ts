// wascc:http_client: outbound HTTP through the host (the binding decides which hosts are allowed).
import { Reader, Writer } from "./msgpack";
import { hostCall } from "./wapc";

export const HTTP_CLIENT = "wascc:http_client";

/** What a request came back with: `ok` false and `error` set when no response arrived. */
export class HttpClientResponse {
  ok: bool = true;
  error: string = "";
  statusCode: u32 = 0;
  status: string = "";
  header: Map<string, string> = new Map<string, string>();
  body: Uint8Array = new Uint8Array(0);

  static failure(error: string): HttpClientResponse {
    const res = new HttpClientResponse();
    res.ok = false;
    res.error = error;
    return res;
  }

  static decode(data: ArrayBuffer): HttpClientResponse {
    const r = new Reader(Uint8Array.wrap(data));
    const res = new HttpClientResponse();
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "statusCode") res.statusCode = <u32>r.int();
      else if (key == "status") res.status = r.string();
      else if (key == "header") res.header = r.stringMap();
      else if (key == "body") res.body = r.bytes();
      else r.skip();
    }
    if (!r.ok) return HttpClientResponse.failure("malformed http_client reply");
    return res;
  }

  /** The body as UTF-8 text. */
  text(): string {
    return String.UTF8.decode(this.body.buffer);
  }
}

export class HttpClient {
  constructor(public binding: string = "") {}

  /** Sends one request; redirects, limits and allowed hosts are the binding's. */
  request(method: string, url: string, header: Map<string, string>, body: Uint8Array): HttpClientResponse {
    const w = new Writer().mapHeader(4);
    w.string("method").string(method);
    w.string("url").string(url);
    w.string("header").stringMap(header);
    w.string("body").bin(body);
    const result = hostCall(this.binding, HTTP_CLIENT, "Request", w.toBuffer());
    if (!result.ok) return HttpClientResponse.failure(result.error);
    return HttpClientResponse.decode(result.data);
  }

  get(url: string): HttpClientResponse {
    return this.request("GET", url, new Map<string, string>(), new Uint8Array(0));
  }
}
