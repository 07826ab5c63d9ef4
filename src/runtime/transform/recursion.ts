/**
 * Which functions lie on a cycle of the call graph (Tarjan's strongly connected components,
 * iterative so a deep graph cannot overflow the host's stack). An indirect call counts as a
 * call to every function a table or a `ref.func` can name: one extra node stands for them
 * all, so a module with thousands of both costs edges in their sum, not their product.
 */

/**
 * `calls[f]`: the defined functions `f` calls directly (indices among the defined functions);
 * `indirect[f]`: whether `f` calls through a table or a reference; `tabled`: the defined
 * functions such a call may reach. Returns the recursive ones.
 */
export function recursiveFunctions(calls: readonly number[][], indirect: readonly boolean[], tabled: readonly number[]): Set<number> {
  const n = calls.length;
  const table = n; // the extra node
  const edges = (node: number): readonly number[] => (node === table ? tabled : calls[node]!);
  const index = new Int32Array(n + 1).fill(-1);
  const low = new Int32Array(n + 1);
  const onStack = new Uint8Array(n + 1);
  const stack: number[] = [];
  const result = new Set<number>();
  let next = 0;
  // A frame: the node, and how far through its edges (the table edge last) it has got.
  const work: number[] = [];
  const visit = (node: number): void => {
    index[node] = low[node] = next++;
    stack.push(node);
    onStack[node] = 1;
    work.push(node, 0);
  };
  for (let root = 0; root <= n; root++) {
    if (index[root] !== -1) continue;
    visit(root);
    while (work.length > 0) {
      const node = work[work.length - 2]!;
      const edge = work[work.length - 1]!;
      const targets = edges(node);
      const hasTableEdge = node !== table && indirect[node] === true;
      if (edge < targets.length + (hasTableEdge ? 1 : 0)) {
        work[work.length - 1] = edge + 1;
        const target = edge < targets.length ? targets[edge]! : table;
        if (index[target] === -1) visit(target);
        else if (onStack[target]) low[node] = Math.min(low[node]!, index[target]!);
        continue;
      }
      work.length -= 2;
      if (work.length > 0) {
        const parent = work[work.length - 2]!;
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] !== index[node]) continue;
      const component: number[] = [];
      let member: number;
      do {
        member = stack.pop()!;
        onStack[member] = 0;
        component.push(member);
      } while (member !== node);
      const selfLoop = component.length === 1 && member !== table && calls[member]!.includes(member);
      if (component.length > 1 || selfLoop) for (const f of component) if (f !== table) result.add(f);
    }
  }
  return result;
}
