/** Capability ids and operation names of the waSCC contract (spec section 2). */
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
  "Add", "Get", "Set", "Del", "Clear", "Range", "Push", "ListItemDelete",
  "SetAdd", "SetRemove", "SetUnion", "SetIntersection", "SetQuery", "KeyExists",
] as const;
export type KeyValueOperation = (typeof KEYVALUE_OPERATIONS)[number];
