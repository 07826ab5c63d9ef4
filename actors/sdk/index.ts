// wactor's AssemblyScript guest SDK: waPC guest, MessagePack, typed capability helpers.
export { __guest_call, register, hostCall, log, Result } from "./wapc";
export { Reader, Writer } from "./msgpack";
export { Request, Response } from "./http";
export * from "./capabilities";
export { HttpClient, HttpClientResponse, HTTP_CLIENT } from "./http-client";
export { jsonString } from "./json";
export * from "./blobstore";
export * from "./eventstreams";
