/**
 * An Atmo Directive in memory (docs/directive.md). Every object keeps the line it starts on
 * so validation can report `file:line` for each problem.
 */

export type ErrAction = "continue" | "return";

export interface OnErr {
  /** Written values, checked by validation: `continue` or `return` is all that is valid. */
  any?: string;
  other?: string;
  /** HTTP code → action. */
  code?: Record<number, string>;
  line: number;
}

/** An fn step, or one member of a group. */
export interface Callable {
  /** The reference as written (§ references in docs/directive.md). */
  fn: string;
  as?: string;
  /** alias → state key. */
  with?: Record<string, string>;
  onErr?: OnErr;
  line: number;
}

export interface ForEach {
  in?: string;
  fn?: string;
  as?: string;
  onErr?: OnErr;
  line: number;
}

/** A step as written; its shape (fn, group or forEach) is decided by validation. */
export interface Step {
  fn?: string;
  as?: string;
  with?: Record<string, string>;
  onErr?: OnErr;
  /** Present (possibly empty) when the key was written. */
  group?: Callable[];
  forEach?: ForEach;
  line: number;
}

export interface Runnable {
  name: string;
  namespace: string;
  lang?: string;
  version?: string;
  draftVersion?: string;
  apiVersion?: string;
  /** `<identifier>#<namespace>::<name>@<appVersion>` unless written in the file. */
  fqfn: string;
  line: number;
}

export interface Handler {
  type: string;
  resource: string;
  method: string;
  steps: Step[];
  response?: string;
  line: number;
}

export interface Every {
  seconds: number;
  minutes: number;
  hours: number;
  days: number;
}

export interface Schedule {
  name: string;
  every: Every;
  /** Seed state. */
  state: Record<string, string>;
  steps: Step[];
  line: number;
}

export interface Directive {
  /** The file the Directive came from, for located messages. */
  file: string;
  identifier: string;
  appVersion: string;
  atmoVersion: string;
  headless: boolean;
  runnables: Runnable[];
  handlers: Handler[];
  schedules: Schedule[];
}

/** A problem found while reading or validating, located in the Directive's file. */
export interface DirectiveProblem {
  line: number;
  message: string;
}
