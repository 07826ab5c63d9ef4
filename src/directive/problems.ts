/** The one error a Directive's reading or validation throws: every problem, each located. */
import { WactorError } from "../errors.js";
import type { DirectiveProblem } from "./types.js";

/** `found <n> problems:` then one tab-indented `file:line: message` per problem, as Atmo prints them. */
export function formatProblems(file: string, problems: readonly DirectiveProblem[]): string {
  const noun = problems.length === 1 ? "problem" : "problems";
  return [`found ${problems.length} ${noun}:`, ...problems.map((p) => `\t${file}:${p.line}: ${p.message}`)].join("\n");
}

export class DirectiveError extends WactorError {
  readonly file: string;
  readonly problems: readonly DirectiveProblem[];

  constructor(file: string, problems: readonly DirectiveProblem[]) {
    super("WACTOR_ERR_DIRECTIVE", formatProblems(file, problems));
    this.file = file;
    this.problems = problems;
  }
}
