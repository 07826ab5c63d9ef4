//! The waPC guest ABI, written by hand (the wapc-guest / wascc-actor crates are not packaged by
//! Debian): the `wapc` imports of docs/wascc-protocol.md §1 and the `__guest_call` export that
//! fetches the operation and payload, runs the handler and hands back its reply or error.

#[link(wasm_import_module = "wapc")]
extern "C" {
    fn __guest_request(op_ptr: *mut u8, msg_ptr: *mut u8);
    fn __guest_response(ptr: *const u8, len: usize);
    fn __guest_error(ptr: *const u8, len: usize);
    fn __host_call(
        bd_ptr: *const u8,
        bd_len: usize,
        ns_ptr: *const u8,
        ns_len: usize,
        op_ptr: *const u8,
        op_len: usize,
        ptr: *const u8,
        len: usize,
    ) -> usize;
    fn __host_response_len() -> usize;
    fn __host_response(ptr: *mut u8);
    fn __host_error_len() -> usize;
    fn __host_error(ptr: *mut u8);
    fn __console_log(ptr: *const u8, len: usize);
}

/// A handler's outcome: reply bytes, or an error text for `__guest_error`.
pub type HandlerResult = Result<Vec<u8>, String>;

/// Writes one line to the host's log (`__console_log`).
#[allow(dead_code)]
pub fn console_log(text: &str) {
    unsafe { __console_log(text.as_ptr(), text.len()) }
}

/// Calls the host synchronously: a capability (namespace = capability id) or another actor
/// (namespace = its module public key). Rust actors name the default binding "default".
#[allow(dead_code)]
pub fn host_call(binding: &str, namespace: &str, operation: &str, payload: &[u8]) -> HandlerResult {
    let ok = unsafe {
        __host_call(
            binding.as_ptr(),
            binding.len(),
            namespace.as_ptr(),
            namespace.len(),
            operation.as_ptr(),
            operation.len(),
            payload.as_ptr(),
            payload.len(),
        )
    };
    if ok == 1 {
        let mut data = vec![0u8; unsafe { __host_response_len() }];
        unsafe { __host_response(data.as_mut_ptr()) };
        Ok(data)
    } else {
        let mut err = vec![0u8; unsafe { __host_error_len() }];
        unsafe { __host_error(err.as_mut_ptr()) };
        Err(String::from_utf8_lossy(&err).into_owned())
    }
}

/// The actor's dispatcher, given the operation name and payload; None = no such operation.
pub type Dispatch = fn(&str, &[u8]) -> Option<HandlerResult>;

/// Runs one host -> guest call (the body of `__guest_call`): returns 1 on success, 0 on error.
pub fn guest_call(op_len: usize, msg_len: usize, dispatch: Dispatch) -> i32 {
    let mut op = vec![0u8; op_len];
    let mut msg = vec![0u8; msg_len];
    unsafe { __guest_request(op.as_mut_ptr(), msg.as_mut_ptr()) };
    let operation = String::from_utf8_lossy(&op);
    let result = match dispatch(&operation, &msg) {
        Some(result) => result,
        // waSCC hosts probe every actor with HealthRequest and read an empty reply as healthy.
        None if operation == "HealthRequest" => Ok(Vec::new()),
        None => Err(format!("no handler for operation {}", operation)),
    };
    match result {
        Ok(reply) => {
            unsafe { __guest_response(reply.as_ptr(), reply.len()) };
            1
        }
        Err(error) => {
            unsafe { __guest_error(error.as_ptr(), error.len()) };
            0
        }
    }
}
