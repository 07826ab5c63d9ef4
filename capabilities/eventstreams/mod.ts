export { EventStreamsProvider, groupName, type EventStreamsProviderOptions } from "./provider.js";
