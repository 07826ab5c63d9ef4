// The host's services: cache, HTTP, GraphQL, logging, static files, database. Each one the host
// may refuse ("capability is not enabled"); that text comes back in a failed Result.
import { add_ffi_var, cache_get, cache_set, db_exec, fetch_url, get_static_file, graphql_query, log_msg } from "./env";
import { currentIdent, ffiResult, Result } from "./runnable";

function utf8(value: string): ArrayBuffer {
  return String.UTF8.encode(value);
}

export class Cache {
  /** The value stored under `key`; a missing key fails with the host's "key not found". */
  static get(key: string): Result {
    const k = utf8(key);
    return ffiResult(cache_get(changetype<usize>(k), k.byteLength, currentIdent()));
  }

  /** Stores a value; `ttlSeconds` <= 0 keeps it until overwritten. */
  static set(key: string, value: string, ttlSeconds: i32 = 0): Result {
    return Cache.setBytes(key, utf8(value), ttlSeconds);
  }

  static setBytes(key: string, value: ArrayBuffer, ttlSeconds: i32 = 0): Result {
    const k = utf8(key);
    // cache_set returns a status, not an FFI size: nothing waits in the mailbox.
    const status = cache_set(changetype<usize>(k), k.byteLength, changetype<usize>(value), value.byteLength, ttlSeconds, currentIdent());
    return status == 0 ? Result.success(new ArrayBuffer(0)) : Result.failure(500, "cache set failed (" + status.toString() + ")");
  }
}

/** fetch_url's method codes. */
export namespace Method {
  export const GET: i32 = 0;
  export const HEAD: i32 = 1;
  export const OPTIONS: i32 = 2;
  export const POST: i32 = 3;
  export const PUT: i32 = 4;
  export const PATCH: i32 = 5;
  export const DELETE: i32 = 6;
}

export class Http {
  /**
   * Sends a request; success is the response body (status <= 299), failure the host's text
   * (e.g. "404: <body>"). Headers travel in the URL string as `url::Key:Value::Key2:Value2`,
   * so neither a key nor a value may contain ':'.
   */
  static request(method: i32, url: string, body: ArrayBuffer, headers: Map<string, string> | null = null): Result {
    let target = url;
    if (headers != null) {
      const keys = headers.keys();
      for (let i = 0; i < keys.length; i++) {
        const value = headers.get(keys[i]);
        if (keys[i].length == 0 || keys[i].includes(":") || value.includes(":")) {
          return Result.failure(500, "header '" + keys[i] + "' cannot be sent: keys and values may not contain ':' or be empty keys");
        }
        target += "::" + keys[i] + ":" + value;
      }
    }
    const u = utf8(target);
    return ffiResult(fetch_url(method, changetype<usize>(u), u.byteLength, changetype<usize>(body), body.byteLength, currentIdent()));
  }

  static get(url: string, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.GET, url, new ArrayBuffer(0), headers);
  }

  static head(url: string, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.HEAD, url, new ArrayBuffer(0), headers);
  }

  static options(url: string, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.OPTIONS, url, new ArrayBuffer(0), headers);
  }

  static post(url: string, body: ArrayBuffer, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.POST, url, body, headers);
  }

  static put(url: string, body: ArrayBuffer, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.PUT, url, body, headers);
  }

  static patch(url: string, body: ArrayBuffer, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.PATCH, url, body, headers);
  }

  static delete(url: string, headers: Map<string, string> | null = null): Result {
    return Http.request(Method.DELETE, url, new ArrayBuffer(0), headers);
  }
}

export class GraphQL {
  /** POSTs `{"query":…,"variables":{}}` to `endpoint`; success is `{"data":…}` as JSON text. */
  static query(endpoint: string, query: string): Result {
    const e = utf8(endpoint);
    const q = utf8(query);
    return ffiResult(graphql_query(changetype<usize>(e), e.byteLength, changetype<usize>(q), q.byteLength, currentIdent()));
  }
}

export class Log {
  static error(message: string): void {
    Log.at(1, message);
  }

  static warn(message: string): void {
    Log.at(2, message);
  }

  static info(message: string): void {
    Log.at(3, message);
  }

  static debug(message: string): void {
    Log.at(4, message);
  }

  /** Levels: 1 error, 2 warn, 3 info, 4 debug (the host reads any other as info). */
  static at(level: i32, message: string): void {
    const m = utf8(message);
    log_msg(changetype<usize>(m), m.byteLength, level, currentIdent());
  }
}

export class StaticFile {
  /** A file of the bundle's `static/` folder, by name (`main.md`, `css/main.css`). */
  static get(name: string): Result {
    const n = utf8(name);
    return ffiResult(get_static_file(changetype<usize>(n), n.byteLength, currentIdent()));
  }
}

/** db_exec's query types. */
export namespace QueryType {
  export const INSERT: i32 = 0;
  export const SELECT: i32 = 1;
  export const UPDATE: i32 = 2;
  export const DELETE: i32 = 3;
}

/**
 * Runs one of the host's prepared queries with positional arguments. Thin on purpose: a host
 * without a database answers "capability is not enabled".
 */
export class Db {
  static exec(queryType: i32, name: string, args: string[]): Result {
    for (let i = 0; i < args.length; i++) {
      const k = utf8(i.toString()); // the host uses the order only; names are informative
      const v = utf8(args[i]);
      if (add_ffi_var(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, currentIdent()) != 0) {
        return Result.failure(500, "unknown error returned from host");
      }
    }
    const n = utf8(name);
    return ffiResult(db_exec(queryType, changetype<usize>(n), n.byteLength, currentIdent()));
  }
}
