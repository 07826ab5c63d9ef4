// The waPC guest side (docs/wascc-protocol.md §1): imports from "wapc", the __guest_call dispatcher and
// synchronous host calls.

@external("wapc", "__guest_request") declare function guest_request(op: usize, msg: usize): void;
@external("wapc", "__guest_response") declare function guest_response(ptr: usize, len: usize): void;
@external("wapc", "__guest_error") declare function guest_error(ptr: usize, len: usize): void;
@external("wapc", "__host_call") declare function host_call(bp: usize, bl: usize, np: usize, nl: usize, op: usize, ol: usize, p: usize, l: usize): bool;
@external("wapc", "__host_response_len") declare function host_response_len(): usize;
@external("wapc", "__host_response") declare function host_response(ptr: usize): void;
@external("wapc", "__host_error_len") declare function host_error_len(): usize;
@external("wapc", "__host_error") declare function host_error(ptr: usize): void;
@external("wapc", "__console_log") declare function console_log(ptr: usize, len: usize): void;

/** A handler's or a host call's outcome: data on success, an error text otherwise. */
export class Result {
  constructor(public ok: bool, public data: ArrayBuffer, public error: string) {}

  static success(data: ArrayBuffer): Result {
    return new Result(true, data, "");
  }

  static failure(error: string): Result {
    return new Result(false, new ArrayBuffer(0), error);
  }
}

export type Handler = (payload: ArrayBuffer) => Result;

const handlerNames = new Array<string>();
const handlers = new Array<Handler>();

/** Registers the handler of a host -> actor operation (e.g. "HandleRequest"). */
export function register(operation: string, handler: Handler): void {
  handlerNames.push(operation);
  handlers.push(handler);
}

export function log(text: string): void {
  const bytes = String.UTF8.encode(text);
  console_log(changetype<usize>(bytes), bytes.byteLength);
}

/**
 * Calls the host: a capability (namespace = capability id) or another actor (namespace =
 * its module public key). The binding "" means "default", as in the waSCC SDK.
 */
export function hostCall(binding: string, namespace: string, operation: string, payload: ArrayBuffer): Result {
  const b = String.UTF8.encode(binding);
  const n = String.UTF8.encode(namespace);
  const o = String.UTF8.encode(operation);
  const ok = host_call(changetype<usize>(b), b.byteLength, changetype<usize>(n), n.byteLength, changetype<usize>(o), o.byteLength, changetype<usize>(payload), payload.byteLength);
  if (!ok) {
    const err = new ArrayBuffer(<i32>host_error_len());
    host_error(changetype<usize>(err));
    return Result.failure(String.UTF8.decode(err));
  }
  const data = new ArrayBuffer(<i32>host_response_len());
  host_response(changetype<usize>(data));
  return Result.success(data);
}

/** The waPC entry point; actors re-export it: `export { __guest_call } from "../sdk"`. */
export function __guest_call(op_len: usize, msg_len: usize): bool {
  const op = new ArrayBuffer(<i32>op_len);
  const msg = new ArrayBuffer(<i32>msg_len);
  guest_request(changetype<usize>(op), changetype<usize>(msg));
  const operation = String.UTF8.decode(op);
  for (let i = 0; i < handlerNames.length; i++) {
    if (handlerNames[i] == operation) {
      const result = handlers[i](msg);
      if (result.ok) {
        guest_response(changetype<usize>(result.data), result.data.byteLength);
        return true;
      }
      const err = String.UTF8.encode(result.error);
      guest_error(changetype<usize>(err), err.byteLength);
      return false;
    }
  }
  // waSCC hosts probe every actor with HealthRequest and read an empty reply as healthy
  // (docs/wascc-protocol.md §2, Core): answer it unless the actor registered its own handler.
  if (operation == "HealthRequest") {
    guest_response(changetype<usize>(msg), 0);
    return true;
  }
  const err = String.UTF8.encode("no handler for operation " + operation);
  guest_error(changetype<usize>(err), err.byteLength);
  return false;
}
