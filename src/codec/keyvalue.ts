/**
 * Key-value payloads (docs/wascc-protocol.md §2). One request and one response shape per operation;
 * the provider decodes the request for its operation and encodes the response.
 */
import { asMap, bool, int, str, strings, type WireMap } from "./fields.js";
import { decodeFirst, encode } from "./msgpack.js";
import type { KeyValueOperation } from "./operations.js";

export interface KeyValueRequests {
  Add: { key: string; value: number };
  Get: { key: string };
  Set: { key: string; value: string; expires: number };
  Del: { key: string };
  Clear: { key: string };
  Range: { key: string; start: number; stop: number };
  Push: { key: string; value: string };
  ListItemDelete: { key: string; value: string };
  SetAdd: { key: string; value: string };
  SetRemove: { key: string; value: string };
  SetUnion: { keys: string[] };
  SetIntersection: { keys: string[] };
  SetQuery: { key: string };
  KeyExists: { key: string };
}

export interface KeyValueResponses {
  Add: { value: number };
  Get: { value: string; exists: boolean };
  Set: { value: string };
  Del: { key: string };
  Clear: { key: string };
  Range: { values: string[] };
  Push: { newCount: number };
  ListItemDelete: { newCount: number };
  SetAdd: { newCount: number };
  SetRemove: { newCount: number };
  SetUnion: { values: string[] };
  SetIntersection: { values: string[] };
  SetQuery: { values: string[] };
  KeyExists: { value: string; exists: boolean };
}

type Reader<T> = (m: WireMap, what: string) => T;
const keyOnly: Reader<{ key: string }> = (m, w) => ({ key: str(m, "key", w) });
const keyValue: Reader<{ key: string; value: string }> = (m, w) => ({ key: str(m, "key", w), value: str(m, "value", w, "") });
const keysOnly: Reader<{ keys: string[] }> = (m, w) => ({ keys: strings(m, "keys", w) });

const REQUEST_READERS: { [Op in KeyValueOperation]: Reader<KeyValueRequests[Op]> } = {
  Add: (m, w) => ({ key: str(m, "key", w), value: int(m, "value", w, 1) }),
  Get: keyOnly,
  Set: (m, w) => ({ key: str(m, "key", w), value: str(m, "value", w, ""), expires: int(m, "expires", w, 0) }),
  Del: keyOnly,
  Clear: keyOnly,
  Range: (m, w) => ({ key: str(m, "key", w), start: int(m, "start", w, 0), stop: int(m, "stop", w, -1) }),
  Push: keyValue,
  ListItemDelete: keyValue,
  SetAdd: keyValue,
  SetRemove: keyValue,
  SetUnion: keysOnly,
  SetIntersection: keysOnly,
  SetQuery: keyOnly,
  KeyExists: keyOnly,
};

const RESPONSE_READERS: { [Op in KeyValueOperation]: Reader<KeyValueResponses[Op]> } = {
  Add: (m, w) => ({ value: int(m, "value", w) }),
  Get: (m, w) => ({ value: str(m, "value", w, ""), exists: bool(m, "exists", w) }),
  Set: (m, w) => ({ value: str(m, "value", w, "") }),
  Del: (m, w) => ({ key: str(m, "key", w, "") }),
  Clear: (m, w) => ({ key: str(m, "key", w, "") }),
  Range: (m, w) => ({ values: strings(m, "values", w) }),
  Push: (m, w) => ({ newCount: int(m, "newCount", w) }),
  ListItemDelete: (m, w) => ({ newCount: int(m, "newCount", w) }),
  SetAdd: (m, w) => ({ newCount: int(m, "newCount", w) }),
  SetRemove: (m, w) => ({ newCount: int(m, "newCount", w) }),
  SetUnion: (m, w) => ({ values: strings(m, "values", w) }),
  SetIntersection: (m, w) => ({ values: strings(m, "values", w) }),
  SetQuery: (m, w) => ({ values: strings(m, "values", w) }),
  KeyExists: (m, w) => ({ value: str(m, "value", w, ""), exists: bool(m, "exists", w) }),
};

export function isKeyValueOperation(op: string): op is KeyValueOperation {
  return Object.hasOwn(REQUEST_READERS, op);
}

export function decodeKeyValueRequest<Op extends KeyValueOperation>(op: Op, payload: Uint8Array): KeyValueRequests[Op] {
  const what = `keyvalue ${op} request`;
  return REQUEST_READERS[op](asMap(decodeFirst(payload, what), what), what);
}

export function decodeKeyValueResponse<Op extends KeyValueOperation>(op: Op, payload: Uint8Array): KeyValueResponses[Op] {
  const what = `keyvalue ${op} response`;
  return RESPONSE_READERS[op](asMap(decodeFirst(payload, what), what), what);
}

export const encodeKeyValueRequest = <Op extends KeyValueOperation>(_op: Op, request: KeyValueRequests[Op]): Uint8Array => encode(request);
export const encodeKeyValueResponse = <Op extends KeyValueOperation>(_op: Op, response: KeyValueResponses[Op]): Uint8Array => encode(response);
