export { LoggingProvider, type LoggingProviderOptions } from "./provider.js";
