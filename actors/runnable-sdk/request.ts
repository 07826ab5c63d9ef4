// The request a job runs for (request mode) and the response headers it sets. In plain mode
// there is no request: every read fails, so the string getters give "".
import { request_get_field, request_set_field, resp_set_header } from "./env";
import { currentIdent, ffiResult, Result } from "./runnable";

/** The field types of request_get_field / request_set_field. */
export namespace FieldType {
  /** `method`, `url`, `id` (the request id) or `body` (raw bytes). */
  export const META: i32 = 0;
  /** A top-level string field of a JSON body. */
  export const BODY: i32 = 1;
  /** A header; the host lower-cases the key when reading. */
  export const HEADER: i32 = 2;
  /** A URL route param. */
  export const PARAM: i32 = 3;
  /** A state key (raw bytes). */
  export const STATE: i32 = 4;
  /** A URL query-string value (read only). */
  export const QUERY: i32 = 5;
}

export class Request {
  /** The raw answer: a missing key is an empty success; errors keep the host's text. */
  static getField(fieldType: i32, key: string): Result {
    const k = String.UTF8.encode(key);
    return ffiResult(request_get_field(fieldType, changetype<usize>(k), k.byteLength, currentIdent()));
  }

  /** Sets a field in place (meta method/url/body, a body JSON field, header, param, state). */
  static setField(fieldType: i32, key: string, value: string): Result {
    const k = String.UTF8.encode(key);
    const v = String.UTF8.encode(value);
    return ffiResult(request_set_field(fieldType, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, currentIdent()));
  }

  static method(): string {
    return text(FieldType.META, "method");
  }

  static url(): string {
    return text(FieldType.META, "url");
  }

  static id(): string {
    return text(FieldType.META, "id");
  }

  static body(): ArrayBuffer {
    return Request.getField(FieldType.META, "body").data;
  }

  /** A string field of the JSON body; "" when it is missing, not a string, or the body is not JSON. */
  static bodyField(key: string): string {
    return text(FieldType.BODY, key);
  }

  static header(key: string): string {
    return text(FieldType.HEADER, key);
  }

  static param(key: string): string {
    return text(FieldType.PARAM, key);
  }

  static state(key: string): string {
    return text(FieldType.STATE, key);
  }

  static stateBytes(key: string): ArrayBuffer {
    return Request.getField(FieldType.STATE, key).data;
  }

  static query(key: string): string {
    return text(FieldType.QUERY, key);
  }
}

function text(fieldType: i32, key: string): string {
  return Request.getField(fieldType, key).toString();
}

/** Sets a response header (last write wins). The host has no call for a success status. */
export function respSetHeader(key: string, value: string): void {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  resp_set_header(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, currentIdent());
}
