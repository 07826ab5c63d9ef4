export { ExtrasProvider, type ExtrasProviderOptions } from "./provider.js";
