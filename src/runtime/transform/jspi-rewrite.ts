/**
 * The JSPI instrumentation as one pass over the module's bytes, without Binaryen
 * (docs/runtime.md, "Instrumentation in one pass"). The output is what instrument.ts made
 * through Binaryen's text round trip for JSPI, the same ABI (metering-abi.ts):
 *
 * - five imports appended to the function imports: `wactor.tick`, `wait`, `next`, `arg` and
 *   `done` (so every defined function's index moves up by five, wherever it occurs: calls,
 *   `ref.func`, element segments, exports, the start function, global and table
 *   initializers); the name section and every other custom section are dropped;
 * - two globals appended (the fuel counter and the suspend flag) and exported;
 * - the fuel check (`fuel -= 1; if fuel < 0: tick`) as the first instructions of every
 *   function on a cycle of the call graph (recursion.ts), and on every back edge of a loop: before
 *   each `br` to it, and a `br_if` to it becomes `if (check, br)`. A loop entered once per call
 *   then costs nothing until it turns (docs/runtime.md, "Fuel on back edges"). A loop that another
 *   kind of branch reaches (`br_table`, `br_on_*`, a `try_table` catch) or that takes parameters
 *   keeps the check at its head. An untyped loop is peeled as instrument.ts peels it,
 *   `block $done (loop $again (block $spent (loop $L body) br $done) call tick br $again))`, its
 *   checks breaking out to $spent, so the loop itself calls nothing (V8 runs echo's guest 2-5 %
 *   faster so), and every branch from its body to a label outside it counts the three new labels;
 * - a trampoline per suspending import and for the tick (every reference to the import then
 *   names its trampoline), and the exported serve loop.
 *
 * Only instructions are decoded (wasm-code.ts), and only as far as their immediates: every
 * other byte is copied.
 */
import type { GuestKind } from "../guest-kind.js";
import { BR, BR_IF, FuelChecks, type LoopCheck } from "./fuel-checks.js";
import { recursiveFunctions } from "./recursion.js";
import { Reader, Writer } from "./wasm-bytes.js";
import { scanCode, type CodeVisitor } from "./wasm-code.js";
import { readLayout, SECTION, SECTION_ORDER, type Signature } from "./wasm-module.js";
import {
  ARG_NAME,
  ASYNC_IMPORTS,
  DONE_NAME,
  FUEL_GLOBAL,
  FUEL_PER_TICK,
  NEXT_NAME,
  SERVE_EXPORT,
  SUSPEND_FLAG,
  TICK_MODULE,
  TICK_NAME,
  WAIT_NAME,
} from "./metering-abi.js";

export interface RewriteResult {
  bytes: Uint8Array;
  loops: number;
  recursiveFunctions: number;
}

/** The imports added, in this order, after the module's own function imports. */
const ADDED = [
  { name: TICK_NAME, type: "void" },
  { name: WAIT_NAME, type: "result" },
  { name: NEXT_NAME, type: "void" },
  { name: ARG_NAME, type: "map" },
  { name: DONE_NAME, type: "sink" },
] as const;
const NEW_TYPES = { void: [0x60, 0, 0], result: [0x60, 0, 1, 0x7f], map: [0x60, 1, 0x7f, 1, 0x7f], sink: [0x60, 1, 0x7f, 0] } as const;
const ENTRY: Readonly<Record<GuestKind, string>> = { wapc: "__guest_call", runnable: "run_e" };
const I32 = 0x7f;
// Insertions in the patch list (where a rewrite has the end of what it replaces).
const PEEL_BEFORE = -2; // block $done (loop $again (block $spent ...
const PEEL_AFTER = -4; // ... br $done) call tick br $again))
const CHOSEN = -5; // a loop's check at its head or on a back edge, chosen once the loop is read (LoopCheck)
const NUMERIC = new Set([0x7f, 0x7e, 0x7d, 0x7c]);
const NOTHING = new Uint8Array(0);

/** One function body: its locals at [locals, code), its instructions at [code, end). */
interface Body {
  locals: number;
  code: number;
  end: number;
  /** Its insertions and index rewrites, as ranges into the shared patch list. */
  from: number;
  to: number;
}

/** Bytes at a position that depend on a loop's LoopCheck: replacing `skip` bytes there. */
interface Choice {
  loop: LoopCheck;
  backEdge: Uint8Array;
  head: Uint8Array;
  skip: number;
}

/** Throws a plain Error for anything it cannot handle (the caller names the module refused). */
export function rewriteForJspi(bytes: Uint8Array, kind: GuestKind): RewriteResult {
  const layout = readLayout(bytes);
  const imports = layout.functionImports.length;
  const defined = layout.functionTypes.length;
  if (layout.functionImports.some((i) => i.module === TICK_MODULE)) throw new Error(`the module already imports from '${TICK_MODULE}'`);
  const signature = (func: number): Signature | undefined =>
    layout.signatures[func < imports ? layout.functionImports[func]!.type : layout.functionTypes[func - imports]!];

  // The new function index space: imports, the five added, the module's own, trampolines, serve.
  const suspending = new Set(ASYNC_IMPORTS[kind]);
  const trampolined: number[] = [];
  layout.functionImports.forEach((imp, i) => {
    if (!suspending.has(`${imp.module}.${imp.name}`)) return;
    const sig = layout.signatures[imp.type];
    if (!sig || sig.params.some((t) => !NUMERIC.has(t)) || sig.results.length > 1 || (sig.results.length === 1 && sig.results[0] !== I32))
      throw new Error(`the import ${imp.module}.${imp.name} has a type the runtime cannot suspend at`);
    trampolined.push(i);
  });
  const firstTrampoline = imports + ADDED.length + defined;
  const trampolineOf = new Map(trampolined.map((func, k) => [func, firstTrampoline + k]));
  const tickTrampoline = firstTrampoline + trampolined.length;
  const serveIndex = tickTrampoline + 1;
  const remap = (func: number): number => (func < imports ? (trampolineOf.get(func) ?? func) : func + ADDED.length);
  const fuel = layout.importedGlobals + layout.definedGlobals;
  const flag = fuel + 1;

  const checks = new FuelChecks(fuel, tickTrampoline);
  const inserts = new Map<number, Uint8Array>([
    [PEEL_BEFORE, checks.peelBefore],
    [PEEL_AFTER, checks.peelAfter],
  ]);

  // Decode: every function index to rewrite, every loop, the call graph.
  // [position, end, function index or -(label) - 1] for a rewrite, [position, insertion, 0] for an insertion.
  const patches: number[] = [];
  const tableFunctions = new Set<number>();
  const record = (start: number, end: number, index: number): void => void patches.push(start, end, index);
  const constVisitor: CodeVisitor = {
    loop: () => {
      throw new Error("a loop in a constant expression");
    },
    open: () => {},
    close: () => {},
    label: () => {},
    func: (start, end, index) => {
      tableFunctions.add(index);
      record(start, end, index);
    },
    indirect: () => {},
  };
  const choices: Choice[] = [];
  const choose = (at: number, choice: Choice): void => void patches.push(at, CHOSEN, choices.push(choice) - 1);
  const sectionPatches = new Map<number, [number, number]>();
  const bodies: Body[] = [];
  const calls: number[][] = [];
  const indirect: boolean[] = [];
  let loops = 0;
  let entry: number | undefined;
  for (const section of layout.sections) {
    const from = patches.length;
    const r = new Reader(bytes, section.start, section.end);
    if (section.id === SECTION.table) readTables(r, constVisitor);
    else if (section.id === SECTION.global) readGlobals(r, constVisitor);
    else if (section.id === SECTION.element) readElements(r, constVisitor);
    else if (section.id === SECTION.start) {
      const start = r.pos;
      const index = r.u32();
      record(start, r.pos, index);
    } else if (section.id === SECTION.export) entry = readExports(r, kind, record);
    else if (section.id === SECTION.code) {
      const count = r.u32();
      if (count !== defined) throw new Error(`the code section has ${count} bodies for ${defined} functions`);
      for (let i = 0; i < count; i++) {
        const size = r.u32();
        const body = new Reader(bytes, r.pos, r.pos + size);
        r.skip(size);
        const locals = body.pos;
        for (let n = body.u32(); n > 0; n--) {
          body.skipLeb();
          body.skipValType();
        }
        const code = body.pos;
        const start = patches.length;
        const frames: number[] = []; // per open block: 1 for a peeled loop
        const loopChecks: (LoopCheck | undefined)[] = []; // per open block: its LoopCheck when a loop
        const targets: number[] = [];
        let callsIndirect = false;
        scanCode(body, {
          loop: (opcode, blockType, at) => {
            loops++;
            const peeled = bytes[blockType] === 0x40;
            // Empty or one value type (0x40-0x7f): no parameters for a branch to carry past the check.
            const loop: LoopCheck = { backEdges: (bytes[blockType]! & 0xc0) === 0x40, peeled };
            if (peeled) patches.push(opcode, PEEL_BEFORE, 0);
            choose(at, { loop, backEdge: NOTHING, head: peeled ? checks.peeledHead : checks.inPlace, skip: 0 });
            frames.push(peeled ? 1 : 0);
            loopChecks.push(loop);
          },
          open: () => {
            frames.push(0);
            loopChecks.push(undefined);
          },
          close: (after) => {
            loopChecks.pop();
            if (frames.pop() === 1) patches.push(after, PEEL_AFTER, 0);
          },
          label: (s, e, depth, op) => {
            // Each peeled loop between the branch and its target adds three labels.
            let extra = 0;
            for (let f = frames.length - 1; f >= 0 && f >= frames.length - depth; f--) extra += frames[f]! * 3;
            const loop = loopChecks[loopChecks.length - 1 - depth];
            if (loop && (op === BR || op === BR_IF)) {
              const to = depth + extra;
              const head = new Writer(8).u8(op).u32(to).view();
              return choose(s - 1, { loop, backEdge: checks.backEdge(op === BR_IF, to, loop.peeled), head, skip: e - s + 1 });
            }
            if (loop) loop.backEdges = false;
            if (extra > 0) patches.push(s, e, -(depth + extra) - 1);
          },
          func: (s, e, index, call) => {
            record(s, e, index);
            if (!call) tableFunctions.add(index);
            else if (index >= imports) targets.push(index - imports);
          },
          indirect: () => void (callsIndirect = true),
        });
        bodies.push({ locals, code, end: body.end, from: start, to: patches.length });
        calls.push(targets);
        indirect.push(callsIndirect);
      }
    }
    sectionPatches.set(section.id, [from, patches.length]);
  }
  if (entry === undefined) throw new Error(`the module does not export '${ENTRY[kind]}'`);
  const entrySig = signature(entry);
  if (!entrySig || entrySig.params.some((t) => t !== I32) || entrySig.results.length > 1 || (entrySig.results.length === 1 && entrySig.results[0] !== I32))
    throw new Error(`'${ENTRY[kind]}' has an unexpected type`);
  const tabled = [...tableFunctions].filter((f) => f >= imports).map((f) => f - imports);
  const recursive = recursiveFunctions(calls, indirect, tabled);

  // Emit.
  const copy = (out: Writer, from: number, to: number, start: number, end: number): void => {
    let at = start;
    for (let p = from; p < to; p += 3) {
      const pos = patches[p]!;
      out.copy(bytes, at, pos);
      const end = patches[p + 1]!;
      if (end === CHOSEN) {
        const choice = choices[patches[p + 2]!]!;
        out.bytes(choice.loop.backEdges ? choice.backEdge : choice.head);
        at = pos + choice.skip;
      } else if (end < 0) {
        out.bytes(inserts.get(end)!);
        at = pos;
      } else {
        const value = patches[p + 2]!;
        out.u32(value >= 0 ? remap(value) : -value - 1); // a function index, or a label moved out
        at = end;
      }
    }
    out.copy(bytes, at, end);
  };
  const typeBase = layout.signatures.length;
  const newType = (name: keyof typeof NEW_TYPES): number => typeBase + Object.keys(NEW_TYPES).indexOf(name);
  const built = new Map<number, Writer>();
  const withAppended = (id: number, added: number, append: (out: Writer) => void): void => {
    const section = layout.sections.find((s) => s.id === id);
    const out = new Writer();
    if (!section) out.u32(added);
    else {
      const r = new Reader(bytes, section.start, section.end);
      out.u32(r.u32() + added);
      const [from, to] = sectionPatches.get(id) ?? [0, 0];
      copy(out, from, to, r.pos, section.end);
    }
    append(out);
    built.set(id, out);
  };
  withAppended(SECTION.type, Object.keys(NEW_TYPES).length, (out) => Object.values(NEW_TYPES).forEach((t) => out.bytes(t)));
  withAppended(SECTION.import, ADDED.length, (out) => ADDED.forEach((a) => out.name(TICK_MODULE).name(a.name).u8(0).u32(newType(a.type))));
  withAppended(SECTION.function, trampolined.length + 2, (out) => {
    for (const func of trampolined) out.u32(layout.functionImports[func]!.type);
    out.u32(newType("void")).u32(newType("void"));
  });
  withAppended(SECTION.global, 2, (out) => {
    out.u8(I32).u8(1).u8(0x41).s32(FUEL_PER_TICK).u8(0x0b);
    out.u8(I32).u8(1).u8(0x41).u8(0).u8(0x0b);
  });
  withAppended(SECTION.export, 3, (out) => {
    out.name(FUEL_GLOBAL).u8(3).u32(fuel);
    out.name(SUSPEND_FLAG).u8(3).u32(flag);
    out.name(SERVE_EXPORT).u8(0).u32(serveIndex);
  });
  const codeSection = layout.sections.find((s) => s.id === SECTION.code);
  const code = new Writer((codeSection ? codeSection.end - codeSection.start : 0) + 4096).u32(defined + trampolined.length + 2);
  const body = new Writer();
  bodies.forEach((b, i) => {
    body.length = 0;
    body.bytes(bytes.subarray(b.locals, b.code));
    if (recursive.has(i)) body.bytes(checks.inPlace);
    copy(body, b.from, b.to, b.code, b.end);
    code.sized(body);
  });
  const waitIndex = imports + 1;
  for (const func of trampolined) code.sized(trampoline(func, layout.signatures[layout.functionImports[func]!.type]!, flag, waitIndex));
  code.sized(trampoline(imports, { params: [], results: [] }, flag, waitIndex));
  code.sized(serveLoop(imports, remap(entry), entrySig));
  built.set(SECTION.code, code);

  const out = new Writer(bytes.length + 4096).bytes(bytes.subarray(0, 8));
  const ids = new Set([...layout.sections.map((s) => s.id), ...built.keys()]);
  for (const id of [...ids].sort((a, b) => SECTION_ORDER.indexOf(a) - SECTION_ORDER.indexOf(b))) {
    const own = built.get(id);
    const section = layout.sections.find((s) => s.id === id)!;
    let content = own;
    if (!content) {
      const [from, to] = sectionPatches.get(id) ?? [0, 0];
      content = new Writer();
      copy(content, from, to, section.start, section.end);
    }
    out.u8(id).sized(content);
  }
  return { bytes: out.view().slice(), loops, recursiveFunctions: recursive.size };
}

/** Calls the import; if the host raised the flag, lowers it and waits (`wactor.wait`'s value is the import's). */
function trampoline(func: number, sig: Signature, flag: number, wait: number): Writer {
  const result = sig.results.length === 1;
  const local = sig.params.length;
  const w = new Writer().bytes(result ? [1, 1, I32] : [0]);
  for (let i = 0; i < sig.params.length; i++) w.u8(0x20).u32(i);
  w.u8(0x10).u32(func);
  if (result) w.u8(0x21).u32(local);
  w.u8(0x23).u32(flag).u8(0x04).u8(0x40).u8(0x41).u8(0).u8(0x24).u32(flag).u8(0x10).u32(wait);
  if (result) w.u8(0x21).u32(local).u8(0x0b).u8(0x20).u32(local);
  else w.u8(0x1a).u8(0x0b);
  return w.u8(0x0b);
}

/** `loop { next(); done(entry(arg(0), arg(1), ...)) }` (done(0) for an entry with no value). */
function serveLoop(imports: number, entry: number, sig: Signature): Writer {
  const [next, arg, done] = [imports + 2, imports + 3, imports + 4];
  const w = new Writer().u8(0).u8(0x03).u8(0x40).u8(0x10).u32(next);
  for (let i = 0; i < sig.params.length; i++) w.u8(0x41).s32(i).u8(0x10).u32(arg);
  w.u8(0x10).u32(entry);
  if (sig.results.length === 0) w.u8(0x41).u8(0);
  return w.u8(0x10).u32(done).u8(0x0c).u8(0).u8(0x0b).u8(0x0b);
}

function readTables(r: Reader, visitor: CodeVisitor): void {
  for (let n = r.u32(); n > 0; n--) {
    const withInit = r.bytes[r.pos] === 0x40;
    if (withInit) r.skip(2);
    r.skipValType();
    r.skipLimits();
    if (withInit) scanCode(r, visitor, true);
  }
}

function readGlobals(r: Reader, visitor: CodeVisitor): void {
  for (let n = r.u32(); n > 0; n--) {
    r.skipValType();
    r.skip(1);
    scanCode(r, visitor, true);
  }
}

function readElements(r: Reader, visitor: CodeVisitor): void {
  for (let n = r.u32(); n > 0; n--) {
    const flags = r.u32();
    if (flags > 7) r.fail(`unknown element segment flags ${flags}`);
    const expressions = (flags & 4) !== 0;
    if ((flags & 1) === 0) {
      if (flags & 2) r.skipLeb(); // table index
      scanCode(r, visitor, true); // offset
    }
    if ((flags & 3) !== 0) {
      if (expressions) r.skipValType();
      else r.skip(1); // element kind
    }
    for (let m = r.u32(); m > 0; m--) {
      if (expressions) scanCode(r, visitor, true);
      else {
        const start = r.pos;
        const index = r.u32();
        visitor.func(start, r.pos, index, false);
      }
    }
  }
}

/** Records the function exports' indices; returns the entry's (undefined when not exported). */
function readExports(r: Reader, kind: GuestKind, record: (start: number, end: number, index: number) => void): number | undefined {
  let entry: number | undefined;
  for (let n = r.u32(); n > 0; n--) {
    const name = r.name();
    if (name.startsWith("asyncify_") || name === FUEL_GLOBAL || name === SUSPEND_FLAG || name === SERVE_EXPORT)
      throw new Error(`the module already exports '${name}'`);
    const exportKind = r.u8();
    const start = r.pos;
    const index = r.u32();
    if (exportKind !== 0) continue;
    record(start, r.pos, index);
    if (name === ENTRY[kind]) entry = index;
  }
  return entry;
}
