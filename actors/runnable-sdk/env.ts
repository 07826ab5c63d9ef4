// The host API of a Reactr Runnable (docs/runnable-guest.md): namespace "env", every parameter and
// result an i32, every call ending with the job's ident. AssemblyScript imports only the
// functions a module actually calls, so a runnable's import list stays as small as its code.

@external("env", "return_result") export declare function return_result(ptr: usize, size: i32, ident: i32): void;
@external("env", "return_error") export declare function return_error(code: i32, ptr: usize, size: i32, ident: i32): void;
@external("env", "return_abort") export declare function return_abort(msgPtr: usize, msgSize: i32, filePtr: usize, fileSize: i32, line: u32, col: u32, ident: i32): void;
@external("env", "get_ffi_result") export declare function get_ffi_result(ptr: usize, ident: i32): i32;
@external("env", "add_ffi_var") export declare function add_ffi_var(namePtr: usize, nameSize: i32, valPtr: usize, valSize: i32, ident: i32): i32;
@external("env", "request_get_field") export declare function request_get_field(fieldType: i32, keyPtr: usize, keySize: i32, ident: i32): i32;
@external("env", "request_set_field") export declare function request_set_field(fieldType: i32, keyPtr: usize, keySize: i32, valPtr: usize, valSize: i32, ident: i32): i32;
@external("env", "resp_set_header") export declare function resp_set_header(keyPtr: usize, keySize: i32, valPtr: usize, valSize: i32, ident: i32): void;
@external("env", "fetch_url") export declare function fetch_url(method: i32, urlPtr: usize, urlSize: i32, bodyPtr: usize, bodySize: i32, ident: i32): i32;
@external("env", "graphql_query") export declare function graphql_query(endpointPtr: usize, endpointSize: i32, queryPtr: usize, querySize: i32, ident: i32): i32;
@external("env", "cache_set") export declare function cache_set(keyPtr: usize, keySize: i32, valPtr: usize, valSize: i32, ttl: i32, ident: i32): i32;
@external("env", "cache_get") export declare function cache_get(keyPtr: usize, keySize: i32, ident: i32): i32;
@external("env", "log_msg") export declare function log_msg(msgPtr: usize, msgSize: i32, level: i32, ident: i32): void;
@external("env", "get_static_file") export declare function get_static_file(namePtr: usize, nameSize: i32, ident: i32): i32;
@external("env", "db_exec") export declare function db_exec(queryType: i32, namePtr: usize, nameSize: i32, ident: i32): i32;
