/**
 * CPU priority of instance worker threads (Linux). An actor suspected of looping runs its
 * threads at a low priority: they still get every idle cycle, but the host thread and the
 * instances doing short work go first. On two cores a looping guest otherwise takes a whole
 * core until its deadline.
 *
 * Linux schedules threads one by one and setpriority(2) accepts a thread id, which a thread
 * learns from /proc/thread-self. Elsewhere these are no-ops.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/**
 * Nice value of a demoted thread: about a tenth of a normal thread's CPU share when both want
 * the core, so long work still progresses under load (at 19 it would starve: ~1/70).
 */
const DEMOTED_NICE = 10;

/** The calling thread's kernel id, or undefined where threads cannot be told apart. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Lowers a thread's priority; false when it cannot be done here. */
export function demoteThread(tid: number | undefined): boolean {
  return renice(tid, DEMOTED_NICE);
}

/** Restores normal priority; raising it needs CAP_SYS_NICE (root), so this may be refused. */
export function restoreThread(tid: number | undefined): boolean {
  return renice(tid, 0);
}

function renice(tid: number | undefined, nice: number): boolean {
  if (tid === undefined) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
