/**
 * Every span name and attribute wactor emits, in one place (docs/tracing.md lists them).
 * Names stay low-cardinality (operation names, capability ids); keys and subjects go in
 * attributes.
 */
export const SPAN = {
  /** The HTTP provider's server span: the method, as the HTTP semantic conventions name it. */
  http: (method: string): string => method,
  /** The http_client provider's client span of one request (each redirect hop has its own). */
  httpClient: (method: string): string => method,
  invoke: (operation: string): string => `invoke ${operation}`,
  hostCall: (capabilityId: string, operation: string): string => `call ${capabilityId} ${operation}`,
  actorCall: (operation: string): string => `call actor ${operation}`,
  redis: (operation: string): string => `redis ${operation}`,
  natsPublish: (operation: string): string => `nats ${operation}`,
  natsDeliver: "nats deliver",
  /** The blob store provider's file system work for one operation. */
  blobstore: (operation: string): string => `blobstore ${operation}`,
  /** One ReceiveChunk of a download delivered to an actor. */
  blobstoreDeliver: "blobstore deliver",
  /** One DeliverEvent of an event stream delivered to an actor. */
  eventsDeliver: "eventstreams deliver",
  /** One step of a bundle's handler, schedule or stream handler: `step fn`, `step group`, `step forEach`. */
  bundleStep: (kind: string): string => `step ${kind}`,
  latticeSend: (operation: string): string => `lattice send ${operation}`,
  latticeServe: (operation: string): string => `lattice serve ${operation}`,
} as const;

export const ATTR = {
  actorKey: "wactor.actor.key",
  actorName: "wactor.actor.name",
  operation: "wactor.operation",
  /** "ok", or the WACTOR_ERR_* code the span ended with. */
  outcome: "wactor.outcome",
  /** Milliseconds the invocation waited for a free instance of its actor. */
  instanceWait: "wactor.instance_wait_ms",
  capability: "wactor.capability",
  binding: "wactor.binding",
  targetKey: "wactor.target.key",
  /** Why a host call was refused: "not-claimed" or "not-bound". */
  denial: "wactor.denial",
  latticeTarget: "wactor.lattice.target",
  latticeAuth: "wactor.lattice.auth",
  latticeFromHost: "wactor.lattice.from_host",
  // OpenTelemetry semantic conventions (stable names, written out so no import is needed here).
  httpMethod: "http.request.method",
  httpStatus: "http.response.status_code",
  urlPath: "url.path",
  urlScheme: "url.scheme",
  serverPort: "server.port",
  serverAddress: "server.address",
  /** Redirects followed before this hop of an outbound request (0 for the first). */
  httpResendCount: "http.request.resend_count",
  dbSystem: "db.system.name",
  dbOperation: "db.operation.name",
  messagingSystem: "messaging.system",
  messagingOperation: "messaging.operation.name",
  messagingDestination: "messaging.destination.name",
  errorType: "error.type",
  /** A bundle step: its Directive's identifier, its place in the sequence, the functions it calls. */
  bundle: "wactor.bundle",
  stepIndex: "wactor.step.index",
  stepFunctions: "wactor.step.functions",
  requestId: "wactor.request_id",
  blobContainer: "wactor.blob.container",
  blobId: "wactor.blob.id",
} as const;

export const OUTCOME_OK = "ok";
