/**
 * Which peer hosts serve which lattice subject, from the routes each host publishes. A session
 * invocation is addressed to one host (its MAC and replay window are that pair's), so the
 * sender picks the host itself, round robin, instead of leaving it to a NATS queue group.
 * Routes only steer: a wrong or stale one ends in "not here" or no responders, and the call
 * goes through the queue group with a per-call JWT instead.
 */
export class RouteTable {
  readonly #bySubject = new Map<string, { hosts: string[]; next: number }>();
  readonly #byHost = new Map<string, Set<string>>();

  /** Replaces everything one host serves. */
  setHost(hostId: string, subjects: Iterable<string>): void {
    this.dropHost(hostId);
    const set = new Set(subjects);
    this.#byHost.set(hostId, set);
    for (const subject of set) {
      const entry = this.#bySubject.get(subject);
      if (entry) entry.hosts.push(hostId);
      else this.#bySubject.set(subject, { hosts: [hostId], next: 0 });
    }
  }

  dropHost(hostId: string): void {
    const subjects = this.#byHost.get(hostId);
    if (!subjects) return;
    this.#byHost.delete(hostId);
    for (const subject of subjects) this.drop(subject, hostId);
  }

  drop(subject: string, hostId: string): void {
    this.#byHost.get(hostId)?.delete(subject);
    const entry = this.#bySubject.get(subject);
    if (!entry) return;
    entry.hosts = entry.hosts.filter((h) => h !== hostId);
    if (entry.hosts.length === 0) this.#bySubject.delete(subject);
  }

  /** The next host serving `subject` that `usable` accepts, round robin; undefined when none. */
  pick(subject: string, usable: (hostId: string) => boolean): string | undefined {
    const entry = this.#bySubject.get(subject);
    if (!entry) return undefined;
    for (let tries = 0; tries < entry.hosts.length; tries++) {
      const host = entry.hosts[entry.next++ % entry.hosts.length]!;
      if (usable(host)) return host;
    }
    return undefined;
  }

  hostsOf(subject: string): readonly string[] {
    return this.#bySubject.get(subject)?.hosts ?? [];
  }
}
