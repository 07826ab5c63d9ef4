/**
 * The load-time transform that lets many actors share the host thread (docs/runtime.md):
 *
 * 1. **Metering.** A fuel counter is decremented at every loop header and at the entry of
 *    every function that can recurse (a cycle in the call graph, `call_indirect` counted as a
 *    call to every function in a table); when it runs out the guest calls `wactor.tick`, where
 *    the host checks the clock. Those are the only places a guest can run forever.
 * 2. **Suspension** by Binaryen's asyncify: the kind's host-call imports (`wapc.__host_call`
 *    for a waPC actor, the Reactr imports that reach a capability for a runnable:
 *    metering-abi.ts) and `wactor.tick` can unwind the guest's stack into a region of its
 *    memory and rewind it later, so a host call waits for its provider without blocking the
 *    thread, and a guest past its time slice yields to the others.
 *
 * This is the fallback for engines without JSPI (suspension.ts). Where the engine suspends
 * the guest itself, the instrumentation is a single pass over the binary instead
 * (jspi-rewrite.ts): this module, and Binaryen with it, is then never loaded.
 *
 * Loop headers are found in Binaryen's own text output, which it parses back: the printer
 * puts every loop header on a line of its own, so the insertion is exact and the result is
 * validated before use. A module this cannot handle is reported: an actor then runs on a
 * thread, a runnable does not start (runnables are offered no thread isolation).
 */
import binaryen from "binaryen";
import { WactorError } from "../../errors.js";
import { stripCustomSections } from "../../claims/wasm-sections.js";
import type { GuestKind } from "../suspendable-guest.js";
import { ASYNC_IMPORTS, FUEL_GLOBAL, FUEL_PER_TICK, SERVE_EXPORT, SUSPEND_FLAG, TICK_MODULE, TICK_NAME } from "./metering-abi.js";

export interface InstrumentReport {
  loops: number;
  recursiveFunctions: number;
  inputBytes: number;
  outputBytes: number;
  ms: number;
}

export interface InstrumentResult {
  bytes: Uint8Array;
  report: InstrumentReport;
}

const NAME = String.raw`\$(?:"(?:[^"\\]|\\.)*"|[^\s()]+)`;
const LOOP_HEADER = new RegExp(String.raw`^\s*\(loop(?: ${NAME})?(?: \((?:type|param|result) [^()]*\))*$`);
const FUNC_HEADER = new RegExp(String.raw`^ \(func (${NAME})`);
const CALL = new RegExp(String.raw`\((?:return_)?call (${NAME})`, "g");
const INDIRECT = /\((?:return_)?call_(?:indirect|ref)\b/;
const REF_FUNC = new RegExp(String.raw`\(ref\.func (${NAME})\)`, "g");
const ELEM_NAMES = new RegExp(NAME, "g");

const FUEL = `$${FUEL_GLOBAL}`;
const SPEND = `(global.set ${FUEL} (i32.sub (global.get ${FUEL}) (i32.const 1)))`;
const CHECK = `${SPEND}\n(if (i32.lt_s (global.get ${FUEL}) (i32.const 0)) (then (call ${FUEL}_tick)))`;

/**
 * A loop's tick goes outside it. With the call to `tick` inside a loop, asyncify guards
 * every statement of its body on every turn (a rewind must skip to the call); here the loop
 * breaks out when the fuel is spent, ticks, and enters again at its header, which is where it
 * was. A loop that calls nothing that can suspend is then one guarded statement, checked once
 * per entry: echo's instrumented guest went from 0.77-0.80 of the plain module's speed to
 * (docs/runtime.md). A loop with a type (params or results) keeps the tick inside.
 */
const peeledLoop = (k: number): { before: string; check: string; after: string } => ({
  before: `(block $wactor_done${k} (loop $wactor_again${k} (block $wactor_spent${k}`,
  check: `${SPEND}\n(br_if $wactor_spent${k} (i32.lt_s (global.get ${FUEL}) (i32.const 0)))`,
  after: `(br $wactor_done${k})) (call ${FUEL}_tick) (br $wactor_again${k})))`,
});
const UNTYPED_LOOP = new RegExp(String.raw`^\s*\(loop(?: ${NAME})?$`);

export function instrument(input: Uint8Array, kind: GuestKind = "wapc"): InstrumentResult {
  const started = performance.now();
  // Custom sections mean nothing at run time (Rust's debug sections are megabytes), and a
  // name section could name something after what this transform adds.
  const bytes = stripCustomSections(input, () => true);
  let module: binaryen.Module | undefined;
  try {
    module = binaryen.readBinary(bytes);
    module.setFeatures(binaryen.Features.All);
    refuseCollisions(module);
    module.addGlobal(FUEL_GLOBAL, binaryen.i32, true, module.i32.const(FUEL_PER_TICK));
    module.addFunctionImport(`${FUEL_GLOBAL}_tick`, TICK_MODULE, TICK_NAME, binaryen.none, binaryen.none);
    const { text, loops, recursiveFunctions } = insertChecks(module.emitText());
    module.dispose();
    module = undefined;
    module = binaryen.parseText(text);
    module.setFeatures(binaryen.Features.All);
    if (!module.validate()) throw new Error("the instrumented module does not validate");
    // Exported before optimizing, so the optimizer treats the counter as visible outside.
    module.addGlobalExport(FUEL_GLOBAL, FUEL_GLOBAL);
    // With an optimize level, asyncify cleans up the functions it instruments (local
    // simplification, block merging) itself: as fast at run time as a full -O2 afterwards
    // (measured: same output size, same calls/s) at a fraction of the transform time.
    binaryen.setOptimizeLevel(1);
    binaryen.setShrinkLevel(0);
    binaryen.setPassArgument("asyncify-imports", [...ASYNC_IMPORTS[kind], `${TICK_MODULE}.${TICK_NAME}`].join(","));
    module.runPasses(["asyncify"]);
    binaryen.setPassArgument("asyncify-imports", null);
    const output = module.emitBinary();
    return { bytes: output, report: { loops, recursiveFunctions, inputBytes: input.length, outputBytes: output.length, ms: performance.now() - started } };
  } catch (err) {
    if (err instanceof WactorError) throw err;
    const message =
      err instanceof Error || (typeof err === "object" && err !== null && "message" in err) ? String((err as { message: unknown }).message) : String(err);
    throw new WactorError("WACTOR_ERR_UNSUPPORTED_MODULE", `metering instrumentation failed: ${message}`);
  } finally {
    module?.dispose();
  }
}

/**
 * Names this transform adds must be free: Binaryen does not report a clash, it stops (and
 * may never return), so a module that already has one is refused here and runs on a thread.
 */
function refuseCollisions(module: binaryen.Module): void {
  for (let i = 0; i < module.getNumExports(); i++) {
    const { name } = binaryen.getExportInfo(module.getExportByIndex(i));
    if (name.startsWith("asyncify_") || name === FUEL_GLOBAL || name === SUSPEND_FLAG || name === SERVE_EXPORT)
      throw new Error(`the module already exports '${name}'`);
  }
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === TICK_MODULE) throw new Error(`the module already imports from '${TICK_MODULE}'`);
  }
}

interface FunctionText {
  name: string;
  /** Line index of the header, and of the first body line (after params and locals). */
  header: number;
  calls: Set<string>;
  indirect: boolean;
}

/** Inserts the fuel check after every loop header and at the entry of recursive functions. */
function insertChecks(text: string): { text: string; loops: number; recursiveFunctions: number } {
  const lines = text.split("\n");
  const functions: FunctionText[] = [];
  const tableFunctions = new Set<string>();
  const loopLines: number[] = [];
  let current: FunctionText | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = FUNC_HEADER.exec(line);
    if (header) {
      current = { name: header[1]!, header: i, calls: new Set(), indirect: false };
      functions.push(current);
      continue;
    }
    if (line.startsWith(" (elem")) {
      for (const name of line.slice(line.indexOf(")") + 1).match(ELEM_NAMES) ?? []) tableFunctions.add(name);
      continue;
    }
    for (const match of line.matchAll(REF_FUNC)) tableFunctions.add(match[1]!);
    if (line.includes("(loop")) {
      if (!LOOP_HEADER.test(line)) throw new Error(`unexpected loop form: ${line.trim().slice(0, 80)}`);
      loopLines.push(i);
    }
    if (!current) continue;
    for (const match of line.matchAll(CALL)) current.calls.add(match[1]!);
    if (INDIRECT.test(line)) current.indirect = true;
  }
  const recursive = recursiveFunctionNames(functions, tableFunctions);
  const insertAfter = new Map<number, string[]>();
  const insertBefore = new Map<number, string>();
  const add = (at: number, extra: string): void => void (insertAfter.get(at)?.push(extra) ?? insertAfter.set(at, [extra]));
  loopLines.forEach((at, k) => {
    const close = UNTYPED_LOOP.test(lines[at]!) ? closingLine(lines, at) : -1;
    if (close < 0 || lines[close]!.trim() !== ")") return add(at, CHECK);
    const peeled = peeledLoop(k);
    insertBefore.set(at, peeled.before);
    add(at, peeled.check);
    add(close, peeled.after);
  });
  for (const fn of functions) {
    if (!recursive.has(fn.name)) continue;
    let at = fn.header;
    while (/^\s*\(local /.test(lines[at + 1] ?? "")) at++;
    add(at, CHECK);
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const before = insertBefore.get(i);
    if (before) out.push(before);
    out.push(lines[i]!);
    for (const extra of insertAfter.get(i) ?? []) out.push(extra);
  }
  return { text: out.join("\n"), loops: loopLines.length, recursiveFunctions: recursive.size };
}

/** The line that closes the expression opened on line `at` (quoted names may hold parentheses). */
function closingLine(lines: string[], at: number): number {
  let depth = 0;
  for (let i = at; i < lines.length; i++) {
    const line = lines[i]!;
    for (let c = 0; c < line.length; c++) {
      const ch = line[c];
      if (ch === '"') {
        for (c++; c < line.length && line[c] !== '"'; c++) if (line[c] === "\\") c++;
      } else if (ch === ";" && line[c + 1] === ";") break;
      else if (ch === "(") depth++;
      else if (ch === ")" && --depth === 0) return i;
    }
  }
  throw new Error(`the loop on line ${at + 1} is never closed`);
}

/** Functions on a cycle of the call graph (Tarjan's strongly connected components). */
function recursiveFunctionNames(functions: FunctionText[], tableFunctions: Set<string>): Set<string> {
  const edges = new Map<string, string[]>();
  for (const fn of functions) {
    const targets = [...fn.calls];
    if (fn.indirect) targets.push(...tableFunctions);
    edges.set(
      fn.name,
      targets.filter((t) => t !== undefined),
    );
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result = new Set<string>();
  let next = 0;
  // Iterative, so a deep call graph cannot overflow the host's own stack.
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.node) ?? [];
      if (frame.edge < targets.length) {
        const target = targets[frame.edge++]!;
        if (!edges.has(target)) continue; // an import
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfLoop = component.length === 1 && (edges.get(member) ?? []).includes(member);
      if (component.length > 1 || selfLoop) for (const name of component) result.add(name);
    }
  }
  return result;
}
