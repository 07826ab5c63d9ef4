export { encode, decodeFirst } from "./msgpack.js";
export * from "./operations.js";
export * from "./http.js";
export * from "./http-client.js";
export * from "./keyvalue.js";
export * from "./messaging.js";
export * from "./core.js";
export * from "./blobstore.js";
export * from "./eventstreams.js";
