export { MessagingProvider, DEFAULT_NATS_URL, type MessagingProviderOptions } from "./provider.js";
export { parseSubscriptions, subjectProblem, type SubscriptionSpec } from "./subjects.js";
