/** Capability ids and operation names of the waSCC contract (docs/wascc-protocol.md §2). */
export const CAP_HTTP_SERVER = "wascc:http_server";
export const CAP_KEYVALUE = "wascc:keyvalue";
export const CAP_MESSAGING = "wascc:messaging";
export const CAP_LOGGING = "wascc:logging";
export const CAP_EXTRAS = "wascc:extras";
export const CAP_HTTP_CLIENT = "wascc:http_client";

export const OP_HANDLE_REQUEST = "HandleRequest";
export const OP_DELIVER_MESSAGE = "DeliverMessage";
export const OP_PUBLISH = "Publish";
export const OP_REQUEST = "Request";
/** The one operation of wascc:http_client (the same name as messaging's Request). */
export const OP_HTTP_CLIENT_REQUEST = "Request";
export const OP_WRITE_LOG = "WriteLog";
export const OP_REQUEST_GUID = "RequestGuid";
export const OP_REQUEST_RANDOM = "RequestRandom";
export const OP_REQUEST_SEQUENCE = "RequestSequence";
export const OP_HEALTH_REQUEST = "HealthRequest";

export const KEYVALUE_OPERATIONS = [
  "Add",
  "Get",
  "Set",
  "Del",
  "Clear",
  "Range",
  "Push",
  "ListItemDelete",
  "SetAdd",
  "SetRemove",
  "SetUnion",
  "SetIntersection",
  "SetQuery",
  "KeyExists",
] as const;
export type KeyValueOperation = (typeof KEYVALUE_OPERATIONS)[number];

export const CAP_BLOBSTORE = "wascc:blobstore";
export const CAP_EVENTSTREAMS = "wascc:eventstreams";

/** Actor -> provider operations of `wascc:blobstore` (waSCC codec `blobstore.rs`). */
export const BLOBSTORE_OPERATIONS = [
  "CreateContainer",
  "RemoveContainer",
  "ListObjects",
  "GetObjectInfo",
  "RemoveObject",
  "StartUpload",
  "UploadChunk",
  "StartDownload",
] as const;
export type BlobstoreOperation = (typeof BLOBSTORE_OPERATIONS)[number];
/** Provider -> actor: one chunk of a download. */
export const OP_RECEIVE_CHUNK = "ReceiveChunk";

/** `wascc:eventstreams` (waSCC codec `eventstreams.rs`). */
export const OP_WRITE_EVENT = "WriteEvent";
export const OP_QUERY_STREAM = "QueryStream";
/** Provider -> actor: one event of a stream the binding delivers from. */
export const OP_DELIVER_EVENT = "DeliverEvent";
