/**
 * The one catalog of wactor errors. Every failure the product reports carries a stable
 * `WACTOR_ERR_*` code, an HTTP-ish status and a message that tells the user what to do.
 * Modelled on fastify's FST_ERR_* catalog: codes never change meaning once published.
 */
export const ERROR_CATALOG = {
  // Module and claims verification (issue: foundation)
  WACTOR_ERR_NOT_WASM: {
    status: 400,
    message: "Not a WebAssembly module: the file does not start with the wasm magic and version 1. Pass a compiled .wasm file.",
  },
  WACTOR_ERR_TRUNCATED_MODULE: {
    status: 400,
    message: "The WebAssembly module is truncated or its section layout is corrupt. Rebuild the module or copy it again.",
  },
  WACTOR_ERR_MODULE_TOO_LARGE: { status: 413, message: "The WebAssembly module is larger than the configured limit. Raise the limit or strip debug sections." },
  WACTOR_ERR_NO_CLAIMS: { status: 401, message: "The module carries no signed claims (no 'jwt' custom section). Sign it with 'wactor claims sign'." },
  WACTOR_ERR_MALFORMED_TOKEN: {
    status: 401,
    message: "The module's 'jwt' section does not hold a well-formed wascap token. Re-sign the module with 'wactor claims sign'.",
  },
  WACTOR_ERR_UNSUPPORTED_ALG: {
    status: 401,
    message: "The token's algorithm is not Ed25519; wactor accepts only Ed25519-signed tokens. Re-sign the module with 'wactor claims sign'.",
  },
  WACTOR_ERR_BAD_SIGNATURE: {
    status: 401,
    message: "The token's signature does not verify against its issuer key: it was forged or altered. Re-sign the module with the issuer's seed.",
  },
  WACTOR_ERR_HASH_MISMATCH: {
    status: 401,
    message: "The module's bytes do not match the hash in its claims: it was altered after signing. Rebuild and re-sign it.",
  },
  WACTOR_ERR_TOKEN_EXPIRED: { status: 401, message: "The module's claims have expired. Re-sign it with a later expiry ('--expires-in')." },
  WACTOR_ERR_TOKEN_NOT_YET_VALID: {
    status: 401,
    message: "The module's claims are not valid yet (nbf in the future). Wait, or re-sign without '--not-before'.",
  },
  WACTOR_ERR_UNTRUSTED_ISSUER: {
    status: 403,
    message: "The module was signed by an account this host does not trust. Add the issuer to trusted_issuers or sign with a trusted account.",
  },
  WACTOR_ERR_NOT_AN_ACTOR: { status: 401, message: "The token describes a capability provider, not an actor (prov: true). Sign the module as an actor." },

  // Keys
  WACTOR_ERR_INVALID_KEY: {
    status: 400,
    message: "Not a valid nkey: expected a 56-character public key or a 58-character seed in base32 with a valid checksum.",
  },
  WACTOR_ERR_KEY_TYPE: { status: 400, message: "The key has the wrong type for this use (for example a module key where an account key is needed)." },

  // Actor runtime
  WACTOR_ERR_UNSUPPORTED_MODULE: {
    status: 400,
    message:
      "The module uses a WebAssembly feature wactor does not run, or is neither a waPC actor (exports memory and __guest_call) nor a Reactr runnable (exports memory, allocate, deallocate and run_e).",
  },
  WACTOR_ERR_MODULE_COMPILE: {
    status: 400,
    message:
      "The module passed verification but WebAssembly could not compile or instantiate it. Rebuild it: an actor for core wasm (no WASI), a runnable for core wasm or wasm32-wasi (see docs/runnables.md for the WASI it gets); a trap in its initialization (_start) is shown in the detail.",
  },
  WACTOR_ERR_MEMORY_LIMIT: {
    status: 507,
    message: "The actor instance needs more memory than its ceiling (max_memory_mb). Raise the ceiling or reduce the actor's memory use.",
  },
  WACTOR_ERR_DEADLINE: {
    status: 504,
    message: "The actor did not finish within its deadline (deadline_ms); the instance was stopped and replaced. Raise the deadline or fix the actor.",
  },
  WACTOR_ERR_TRAP: {
    status: 500,
    message: "The actor trapped (panic, unreachable, abort, out-of-bounds); the instance was replaced. See the detail for the guest's message.",
  },
  WACTOR_ERR_GUEST_ERROR: { status: 500, message: "The actor returned an error for this operation. See the detail for the actor's message." },
  WACTOR_ERR_RUNNABLE_ERROR: {
    status: 500,
    message: "The runnable reported an error for this job (return_error, or return_abort with code -1). The detail is its RunErr as JSON {code, message}.",
  },
  WACTOR_ERR_ACTOR_BACKOFF: {
    status: 503,
    message:
      "The actor failed hard (traps, deadlines, memory) many times in a row and is backed off for a while. Fix the actor; calls are accepted again after the pause.",
  },
  WACTOR_ERR_BUSY: { status: 503, message: "Every instance of the actor is busy and its queue is full. Retry later or raise 'instances'." },
  WACTOR_ERR_ACTOR_NOT_FOUND: {
    status: 404,
    message: "No actor with that module key runs on this host. Start it first ('wactor up' manifest or host.startActor).",
  },
  WACTOR_ERR_ACTOR_STOPPED: { status: 503, message: "The actor was stopped while the invocation waited. Retry once it runs again." },
  WACTOR_ERR_ACTOR_EXISTS: { status: 409, message: "An actor with that module key already runs on this host. Use replaceActor (live update) to change it." },
  WACTOR_ERR_SUBJECT_MISMATCH: {
    status: 409,
    message: "A live update must keep the actor's identity: the new module's subject differs. Sign it with the same module key.",
  },
  WACTOR_ERR_PERMISSION_DENIED: {
    status: 403,
    message: "Permission denied: the actor did not claim this capability or has no binding for it. Re-sign with the capability ('--cap') and bind it.",
  },
  WACTOR_ERR_NO_PROVIDER: {
    status: 502,
    message:
      "No provider for that capability runs there, or no built-in one exists. List it in the host manifest's capabilities, or start it with 'wactor ctl start provider'.",
  },
  WACTOR_ERR_NOT_BOUND: {
    status: 403,
    message: "The actor is not bound to this provider under that binding name; providers deliver only to their bound actors.",
  },

  // Payloads
  WACTOR_ERR_BAD_PAYLOAD: {
    status: 400,
    message: "The payload is not valid MessagePack for this operation (see the field named in the detail). Encode it as the waSCC schema says.",
  },

  // Manifests and the host process
  WACTOR_ERR_MANIFEST: { status: 400, message: "The manifest is invalid. Fix the field named in the detail (file:line)." },
  WACTOR_ERR_MANIFEST_REFERENCE: {
    status: 400,
    message: "The manifest refers to something that does not exist (an actor, a capability or a file). Check the name in the detail.",
  },
  WACTOR_ERR_PROVIDER_MODULE: {
    status: 400,
    message: "A custom provider module could not be loaded: it must export a default factory returning a CapabilityProvider.",
  },

  // CLI and files
  WACTOR_ERR_FILE_READ: { status: 400, message: "The file could not be read. Check the path and its permissions." },
  WACTOR_ERR_BAD_ARGUMENT: { status: 400, message: "A command-line argument is invalid. See '--help' for the expected form." },
  WACTOR_ERR_TARGET_EXISTS: {
    status: 409,
    message: "The folder for the new project already exists and is not empty. Choose another name or move that folder away.",
  },

  // Atmo Directives and bundles (docs/directive.md)
  WACTOR_ERR_DIRECTIVE: {
    status: 400,
    message: "The Directive is invalid. Fix every problem listed in the detail (file:line each); docs/directive.md describes the schema.",
  },
  WACTOR_ERR_STEP_TIMEOUT: {
    status: 504,
    message:
      "A step of the handler's sequence did not finish within the step timeout (30 s by default); the request failed. Make the function faster or raise the step timeout.",
  },
  WACTOR_ERR_STATE_KEY_MISSING: {
    status: 500,
    message: "A step needs a state key no earlier step set (a 'with' value or a forEach 'in'). Fix the Directive so the key is set before the step.",
  },
  WACTOR_ERR_FOREACH_INPUT: {
    status: 500,
    message: "The forEach step's 'in' state value is not a JSON array. Make the step that sets it return a JSON array.",
  },
  WACTOR_ERR_FOREACH_OUTPUT: {
    status: 500,
    message: "A forEach function returned something other than a JSON object for an element. Make the function return one JSON object per element.",
  },
  WACTOR_ERR_BUNDLE: {
    status: 400,
    message:
      "The bundle (.wasm.zip) is malformed: see the detail (a missing Directive.yaml, a module no runnable claims, a runnable without a module, or not a ZIP). Rebuild it with 'wactor bundle build'.",
  },
  WACTOR_ERR_BUNDLE_UNSIGNED: {
    status: 401,
    message:
      "The bundle carries no wactor-bundle.jwt descriptor, so its Directive, static files and modules cannot be trusted. Sign it with 'wactor bundle sign'.",
  },
  WACTOR_ERR_BUNDLE_TAMPERED: {
    status: 401,
    message:
      "The bundle changed after it was signed: the entry named in the detail was altered, added or removed, or the descriptor's signature does not verify. Rebuild it and sign it again with 'wactor bundle sign'.",
  },

  // Failures that are nobody's input: a bug to report, never relabelled as the user's fault
  WACTOR_ERR_INTERNAL: {
    status: 500,
    message:
      "An unexpected internal error: this is a bug in wactor, not a problem with your input. Please report it with this message and the stack trace logged with it.",
  },

  // HTTP surfaces (the http_server provider's listeners, the dashboard)
  WACTOR_ERR_BAD_REQUEST: {
    status: 400,
    message: "The HTTP request is malformed (framing, headers or body encoding) and was not delivered. Fix the client's request.",
  },
  WACTOR_ERR_BODY_TOO_LARGE: {
    status: 413,
    message: "The HTTP request body is larger than the binding allows (MAX_BODY) and was not delivered. Send less, or raise MAX_BODY.",
  },
  WACTOR_ERR_UNAUTHORIZED: {
    status: 401,
    message: "This dashboard needs its token (printed when it started): open the printed address, or send ?token=… or 'Authorization: Bearer …'.",
  },
  WACTOR_ERR_NOT_FOUND: { status: 404, message: "No such page or API route on this server." },

  // Lattice (NATS): routing, anti-forgery, control interface
  WACTOR_ERR_LATTICE_NO_ACTOR: {
    status: 503,
    message: "No host in the lattice runs the target actor. Start it ('wactor ctl start actor') or check the lattice name.",
  },
  WACTOR_ERR_LATTICE_NO_PROVIDER: {
    status: 503,
    message:
      "No host in the lattice serves this capability and binding name for the actor: the provider is down or the link failed on its host. See 'wactor ctl link get' and 'wactor ctl get inventory'.",
  },
  WACTOR_ERR_LATTICE_TIMEOUT: {
    status: 504,
    message: "The lattice invocation got no answer within its deadline. The target host may be overloaded or gone; retry.",
  },
  WACTOR_ERR_LATTICE_CONNECTION_LOST: {
    status: 503,
    message:
      "The connection to the lattice's NATS server dropped while this call was in flight (the client reconnects to another server by itself). The call may or may not have been carried out: retry it if it is idempotent.",
  },
  WACTOR_ERR_LATTICE_UNAVAILABLE: {
    status: 503,
    message:
      "The lattice's NATS server is unreachable or refused this client (the detail says why: credentials, TLS, address). Check the --lattice URL, the --nats-* credentials and that nats-server runs.",
  },
  WACTOR_ERR_JETSTREAM_UNAVAILABLE: {
    status: 503,
    message: "The lattice needs JetStream (links, claims and actor bytes live there). Start nats-server with '-js'.",
  },
  WACTOR_ERR_LATTICE_STORAGE_FULL: {
    status: 507,
    message:
      "JetStream has no room left for the lattice's state (links, claims, actor bytes, applications); the write did not happen. Free space, or raise the nats-server's max_file_store, then retry.",
  },
  WACTOR_ERR_LATTICE_STATE_WRITE: {
    status: 503,
    message: "A write of the lattice's state to JetStream failed and did not happen. Retry; nats-server's log says why.",
  },
  WACTOR_ERR_LATTICE_STATE_READ: {
    status: 503,
    message: "Reading the lattice's state from JetStream failed (not a missing entry: the read itself). Retry; the detail and nats-server's log say why.",
  },
  WACTOR_ERR_INVOCATION_REJECTED: {
    status: 401,
    message:
      "A lattice invocation was rejected: unsigned, tampered, expired, replayed or signed by an untrusted cluster key. Give every host the cluster seed or list its key with --trusted-cluster.",
  },
  WACTOR_ERR_CONTROL_REJECTED: {
    status: 401,
    message:
      "The host refused a control request: unsigned, tampered, expired, replayed or signed by a key it does not trust. Sign with a trusted operator key (--operator-seed, WACTOR_OPERATOR_SEED or 'wactor ctl context'); the host lists trusted keys with --trusted-operator.",
  },
  WACTOR_ERR_OPERATOR_SEED: {
    status: 400,
    message:
      "The operator seed is unusable: not an operator seed (SO…), or the context file does not hold one. Create one with 'wactor keys gen operator' and pass it with --operator-seed or WACTOR_OPERATOR_SEED.",
  },
  WACTOR_ERR_HOST_NOT_FOUND: { status: 404, message: "No host with that id answers in the lattice. List hosts with 'wactor ctl get hosts'." },
  WACTOR_ERR_NO_MATCHING_HOST: { status: 404, message: "No host in the lattice matches the constraint. Check host labels with 'wactor ctl get hosts'." },
  WACTOR_ERR_ARTIFACT_NOT_FOUND: {
    status: 404,
    message: "The actor is not in the lattice's object store and not a readable file. Start it from a .wasm path once so it is uploaded.",
  },
  WACTOR_ERR_LINK_NOT_FOUND: { status: 404, message: "No such link (actor, capability, binding name) in the lattice. List links with 'wactor ctl link get'." },

  // Applications (deployments across a lattice)
  WACTOR_ERR_APP_NOT_FOUND: { status: 404, message: "No application of that name is deployed in the lattice. List them with 'wactor app list'." },
  WACTOR_ERR_DEPLOY_TIMEOUT: {
    status: 504,
    message:
      "The application did not reach its desired state in time; the detail says what is missing. The reconciler keeps working on it: see 'wactor app status'.",
  },
  WACTOR_ERR_OWNED_BY_APP: {
    status: 409,
    message:
      "An application deployed in the lattice owns this (link, actor placement): its reconciler would undo a change made by hand. Change it with 'wactor app deploy' of that application's manifest, or pass --force (the reconciler restores it on its next round).",
  },
  WACTOR_ERR_APP_CONFLICT: {
    status: 409,
    message:
      "Another deployed application already owns an actor or link this application wants; the reconciler leaves it to the first and reports the conflict. Give each application its own actors and links, or undeploy the other one: see 'wactor app status'.",
  },

  // OCI registries (`wactor reg`, actors named by reference)
  WACTOR_ERR_OCI_REFERENCE: {
    status: 400,
    message:
      "Not a usable OCI reference: expected registry/repository:tag or registry/repository@sha256:<hex>, with the registry named; ':latest' (or no tag) needs --allow-latest.",
  },
  WACTOR_ERR_REGISTRY_UNAVAILABLE: {
    status: 502,
    message: "The OCI registry did not answer. Check the reference's registry host and port, that the registry runs, and --insecure for a plain-HTTP registry.",
  },
  WACTOR_ERR_REGISTRY_AUTH: {
    status: 401,
    message: "The OCI registry refused the credentials, or needs some. Give --user/--password or OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD.",
  },
  WACTOR_ERR_REGISTRY_NOT_FOUND: {
    status: 404,
    message: "The OCI registry has no such repository, tag or digest. Check the reference, or push it first ('wactor reg push').",
  },
  WACTOR_ERR_REGISTRY: { status: 502, message: "The OCI registry answered with an error. See the detail for its status and message." },
  WACTOR_ERR_OCI_NOT_WASM: {
    status: 415,
    message:
      "The OCI artifact holds no WebAssembly layer (application/vnd.wasm.content.layer.v1+wasm or application/vnd.module.wasm.content.layer.v1+wasm). Push a signed actor with 'wactor reg push'.",
  },
  WACTOR_ERR_DIGEST_MISMATCH: {
    status: 409,
    message:
      "The content's digest is not the one expected (--digest, a reference pinned by digest, or a blob's descriptor): it changed or was tampered with. Check the digest, or pull by tag to see the current one.",
  },

  // Tracing (OpenTelemetry export)
  WACTOR_ERR_TRACING_CONFIG: {
    status: 400,
    message:
      "The tracing configuration is invalid: --otlp must be an http(s) URL, OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or http/json (grpc is not supported), OTEL_TRACES_EXPORTER otlp or none. Fix the value named in the detail.",
  },

  // Capability providers
  WACTOR_ERR_BINDING_INVALID: {
    status: 400,
    message: "The binding's configuration values are invalid (see the value named in the detail). Fix them in the manifest's bindings.",
  },
  WACTOR_ERR_BINDING_FAILED: {
    status: 502,
    message: "The binding could not be established: the service it needs did not answer. Start the service or fix its URL.",
  },
  WACTOR_ERR_PORT_IN_USE: {
    status: 409,
    message: "The binding's port is already in use by another binding or process. Choose another PORT or stop the other listener.",
  },
  WACTOR_ERR_PROVIDER_UNAVAILABLE: {
    status: 503,
    message: "The provider's backing service is unreachable right now; the call failed fast. It reconnects by itself: retry later.",
  },
  WACTOR_ERR_UNKNOWN_OPERATION: { status: 400, message: "The provider has no such operation. See the waSCC contract for the operations of this capability." },
  WACTOR_ERR_REQUEST_TIMEOUT: {
    status: 504,
    message: "No reply arrived within the request's timeout. Check that a responder listens on the subject, or raise the timeout.",
  },
  WACTOR_ERR_WRONG_TYPE: {
    status: 409,
    message: "The key holds a value of another kind than the operation needs (a list, a set, or a non-integer for Add). Use another key or delete it first.",
  },

  // Blob store (wascc:blobstore)
  WACTOR_ERR_BLOB_PATH: {
    status: 400,
    message:
      "The container or blob id is not allowed: ids are single path segments (no '/', '\\', NUL, '.' or '..'; containers may not start with '.') and never reach through a symbolic link. Choose another id.",
  },
  WACTOR_ERR_BLOB_NOT_FOUND: {
    status: 404,
    message: "No such container or blob in the binding's store. Create the container first, or check the ids (ListObjects lists a container's blobs).",
  },
  WACTOR_ERR_BLOB_TOO_LARGE: {
    status: 413,
    message: "The blob is larger than the binding allows (MAX_BYTES) and was not stored. Store less, or raise MAX_BYTES.",
  },
  WACTOR_ERR_CONTAINER_NOT_EMPTY: {
    status: 409,
    message: "The container still holds blobs and was not removed. Remove its blobs first (ListObjects, RemoveObject).",
  },
  WACTOR_ERR_BLOB_IO: {
    status: 507,
    message:
      "The blob store's directory refused the operation (disk full, no permission, an I/O error); nothing partial was stored. Fix the directory named in the detail, then retry.",
  },
  WACTOR_ERR_UPLOAD_STATE: {
    status: 409,
    message:
      "The chunk does not fit an upload in progress: StartUpload was not called for this container, id and context, the upload ended or was abandoned, or the chunk lies outside the announced size. Start the upload again.",
  },
  // Outbound HTTP (the http_client provider)
  WACTOR_ERR_HTTP_HOST_NOT_ALLOWED: {
    status: 403,
    message:
      "The outbound HTTP request was refused before anything was sent: its host is not in the binding's ALLOWED_HOSTS (nothing is allowed by default), or it resolves to a loopback, private or link-local address. Add the host to ALLOWED_HOSTS; a private address needs the host or IP listed exactly (a wildcard never grants one).",
  },
  WACTOR_ERR_HTTP_TIMEOUT: {
    status: 504,
    message: "The outbound HTTP request got no complete response within the binding's TIMEOUT_MS (default 10000). Raise TIMEOUT_MS or check the remote server.",
  },
  WACTOR_ERR_HTTP_RESPONSE_TOO_LARGE: {
    status: 502,
    message:
      "The outbound HTTP response body is larger than the binding's MAX_RESPONSE_BYTES (default 1048576); it was cut off and not delivered. Raise MAX_RESPONSE_BYTES or ask for less.",
  },
  WACTOR_ERR_HTTP_TOO_MANY_REDIRECTS: {
    status: 502,
    message:
      "The outbound HTTP request was redirected more times than the binding's MAX_REDIRECTS (default 5). Call the final URL directly or raise MAX_REDIRECTS.",
  },
  WACTOR_ERR_HTTP_FAILED: {
    status: 502,
    message:
      "The outbound HTTP request failed before a response arrived (name not resolved, connection refused or reset, TLS); the detail says which. Check the URL and that the remote server runs.",
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class WactorError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The specific circumstance; `message` is the catalog text followed by it. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CATALOG[code];
    super(detail ? `${entry.message} (${detail})` : entry.message, options);
    this.name = "WactorError";
    this.code = code;
    this.status = entry.status;
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; message: string; status: number } {
    return { code: this.code, message: this.message, status: this.status };
  }
}

/**
 * The catalog error for any thrown value: a WactorError stays as it is; anything else is
 * WACTOR_ERR_INTERNAL keeping the original as its cause (log it with its stack).
 */
export function toWactorError(err: unknown): WactorError {
  if (err instanceof WactorError) return err;
  return new WactorError("WACTOR_ERR_INTERNAL", err instanceof Error ? err.message : String(err), { cause: err });
}

export function isWactorError(err: unknown, code?: ErrorCode): err is WactorError {
  return err instanceof WactorError && (code === undefined || err.code === code);
}
