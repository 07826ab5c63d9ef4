/**
 * Step timeouts without a timer per step. Steps with the same timeout length expire in the
 * order they started, so each length keeps its live steps in a list, oldest first, and one
 * unref'd timer armed for the oldest: a step that ends leaves the list in O(1), and the timer
 * only fires when the oldest step may be due. A Node timer per step (setTimeout, then
 * clearTimeout, plus the Promise.race against it) cost ~0.7 µs per step, a tenth of a whole
 * step's engine work (docs/directive.md, "Running a bundle").
 */

export interface PendingTimeout {
  /** The step ended first: it will not expire. */
  cancel(): void;
}

class Entry implements PendingTimeout {
  prev: Entry | undefined;
  next: Entry | undefined;
  constructor(
    readonly list: TimeoutList,
    readonly due: number,
    readonly expire: () => void,
  ) {}

  cancel(): void {
    this.list.remove(this);
  }
}

class TimeoutList {
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}

  add(expire: () => void): Entry {
    const entry = new Entry(this, performance.now() + this.ms, expire);
    entry.prev = this.#newest;
    if (this.#newest) this.#newest.next = entry;
    else this.#oldest = entry;
    this.#newest = entry;
    if (this.#timer === undefined) this.#arm(entry.due);
    return entry;
  }

  remove(entry: Entry): void {
    if (entry.list !== this || (entry.prev === undefined && this.#oldest !== entry)) return; // expired or removed already
    if (entry.prev) entry.prev.next = entry.next;
    else this.#oldest = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#newest = entry.prev;
    entry.prev = entry.next = undefined;
    // The timer stays armed: when it fires it looks at whoever is oldest then.
  }

  #arm(due: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - performance.now()));
    // A step's own work keeps the process alive while it runs; its timeout alone must not.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let oldest = this.#oldest; oldest !== undefined && oldest.due <= now; oldest = this.#oldest) {
      this.remove(oldest);
      oldest.expire();
    }
    if (this.#oldest !== undefined && this.#timer === undefined) this.#arm(this.#oldest.due);
  }
}

const lists = new Map<number, TimeoutList>();

/** Calls `expire` once `ms` have passed, unless cancelled first. */
export function afterTimeout(ms: number, expire: () => void): PendingTimeout {
  let list = lists.get(ms);
  if (list === undefined) lists.set(ms, (list = new TimeoutList(ms)));
  return list.add(expire);
}
