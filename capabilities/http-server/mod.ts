export { HttpServerProvider, DEFAULT_MAX_BODY, statusForError, type HttpServerProviderOptions } from "./provider.js";
