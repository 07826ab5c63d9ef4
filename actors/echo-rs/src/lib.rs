//! HTTP echo actor in Rust, the counterpart of the AssemblyScript actors/echo: `HandleRequest`
//! replies 200 with a JSON description of the request (method, path, query_string, headers,
//! body_len, body, in that order); `Echo` returns its payload unchanged (for benchmarks).
//! Payloads are MessagePack maps keyed by camelCase names (docs/wascc-protocol.md §2).

mod wapc;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Header pairs in the order they came (a JSON object with the same key order as the AS echo).
struct Headers(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Headers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of header names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut pairs: Vec<(String, String)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    // a repeated name keeps its first place and its last value, as a Map does
                    match pairs.iter_mut().find(|(k, _)| *k == key) {
                        Some(pair) => pair.1 = value,
                        None => pairs.push((key, value)),
                    }
                }
                Ok(Headers(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

impl Serialize for Headers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// wascc:http_server's request, as the host sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: String,
    path: String,
    query_string: String,
    header: Headers,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

/// wascc:http_server's response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    status_code: u32,
    status: &'a str,
    header: BTreeMap<&'a str, &'a str>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

/// The reply body: the request described, keys in the AS echo's order.
#[derive(Serialize)]
struct Echoed<'a> {
    method: &'a str,
    path: &'a str,
    query_string: &'a str,
    headers: &'a Headers,
    body_len: usize,
    body: &'a str,
}

fn handle_request(payload: &[u8]) -> wapc::HandlerResult {
    let req: Request = rmp_serde::from_slice(payload).map_err(|e| format!("bad HandleRequest payload: {}", e))?;
    let body = String::from_utf8_lossy(&req.body);
    let echoed = Echoed {
        method: &req.method,
        path: &req.path,
        query_string: &req.query_string,
        headers: &req.header,
        body_len: req.body.len(),
        body: &body,
    };
    let json = serde_json::to_vec(&echoed).map_err(|e| e.to_string())?;
    let mut header = BTreeMap::new();
    header.insert("content-type", "application/json");
    let res = Response { status_code: 200, status: "OK", header, body: json };
    rmp_serde::to_vec_named(&res).map_err(|e| e.to_string())
}

fn dispatch(operation: &str, payload: &[u8]) -> Option<wapc::HandlerResult> {
    match operation {
        "HandleRequest" => Some(handle_request(payload)),
        "Echo" => Some(Ok(payload.to_vec())),
        _ => None,
    }
}

/// The waPC entry point the host calls with the lengths of the pending operation and payload.
#[no_mangle]
pub extern "C" fn __guest_call(op_len: i32, msg_len: i32) -> i32 {
    wapc::guest_call(op_len as usize, msg_len as usize, dispatch)
}
