// wascc:http_server payloads (docs/wascc-protocol.md §2).
import { Reader, Writer } from "./msgpack";

export class Request {
  method: string = "";
  path: string = "";
  queryString: string = "";
  header: Map<string, string> = new Map<string, string>();
  body: Uint8Array = new Uint8Array(0);

  static decode(payload: ArrayBuffer): Request {
    const r = new Reader(Uint8Array.wrap(payload));
    const req = new Request();
    const n = r.mapHeader();
    for (let i = 0; i < n && r.ok; i++) {
      const key = r.string();
      if (key == "method") req.method = r.string();
      else if (key == "path") req.path = r.string();
      else if (key == "queryString") req.queryString = r.string();
      else if (key == "header") req.header = r.stringMap();
      else if (key == "body") req.body = r.bytes();
      else r.skip();
    }
    return req;
  }

  /** The value of one query-string parameter, or "". */
  query(name: string): string {
    const pairs = this.queryString.split("&");
    for (let i = 0; i < pairs.length; i++) {
      const eq = pairs[i].indexOf("=");
      if (eq > 0 && pairs[i].substring(0, eq) == name) return pairs[i].substring(eq + 1);
    }
    return "";
  }
}

export class Response {
  header: Map<string, string> = new Map<string, string>();

  constructor(public statusCode: u32, public status: string, public body: Uint8Array) {}

  static ok(body: Uint8Array): Response {
    return new Response(200, "OK", body);
  }

  static json(statusCode: u32, text: string): Response {
    const res = new Response(statusCode, statusCode == 200 ? "OK" : "Error", Uint8Array.wrap(String.UTF8.encode(text)));
    res.header.set("content-type", "application/json");
    return res;
  }

  encode(): ArrayBuffer {
    const w = new Writer();
    w.mapHeader(4);
    w.string("statusCode").int(this.statusCode);
    w.string("status").string(this.status);
    w.string("header").stringMap(this.header);
    w.string("body").bin(this.body);
    return w.toBuffer();
  }
}
