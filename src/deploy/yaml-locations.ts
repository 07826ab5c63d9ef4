/** Maps a path inside a parsed YAML document back to "file:line", for located errors. */
import { isCollection, LineCounter, parseDocument, type Document } from "yaml";

export interface LocatedYaml {
  value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineOf(path: ReadonlyArray<string | number>): number;
  /** YAML syntax errors, already located. */
  errors: Array<{ line: number; message: string }>;
}

export function parseLocatedYaml(text: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors = doc.errors.map((e) => ({ line: lineCounter.linePos(e.pos[0]).line, message: e.message.split("\n")[0] ?? e.message }));
  let value: unknown;
  if (errors.length === 0) {
    try {
      // Aliases are resolved here: an unknown anchor or an alias bomb (yaml caps the count) throws.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      errors.push({ line: 1, message: (err as Error).message.split("\n")[0] ?? String(err) });
    }
  }
  return {
    value,
    errors,
    lineOf(path) {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
        const range = (node as { range?: [number, number, number] } | undefined)?.range;
        if (range && (depth === 0 || node !== undefined)) return lineCounter.linePos(range[0]).line;
        // A missing key: point at the map that should hold it.
        if (depth > 0 && isCollection(doc.getIn(path.slice(0, depth - 1), true))) continue;
      }
      return 1;
    },
  };
}
