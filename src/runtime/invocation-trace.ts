/**
 * What a pool tells a traced invocation. Pools know nothing of OpenTelemetry: the host hands
 * one of these to `invoke` only while tracing is on, so an untraced invocation costs nothing.
 */
export interface InvocationTrace {
  /** Every instance is busy: the invocation waits for one. */
  queued(): void;
  /** An instance took the invocation (at once, or after it was queued). */
  started(): void;
  /**
   * Runs `fn` in the invocation's trace context. Pools call it for work they start outside the
   * caller's async context: a queued invocation started by another one's end, a worker's host call.
   */
  within<T>(fn: () => T): T;
  /** A host call refused inside the instance (capability not claimed): it never reaches the host. */
  denied(capabilityId: string, binding: string, operation: string): void;
}
