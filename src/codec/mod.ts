export { encode, decodeFirst } from "./msgpack.js";
export * from "./operations.js";
export * from "./http.js";
export * from "./keyvalue.js";
export * from "./messaging.js";
export * from "./core.js";
export * from "./http-client.js";
export * from "./job.js";
export * from "./static-files.js";
