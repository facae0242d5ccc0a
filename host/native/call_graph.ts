/**
 * Where the fuel injector (fuel.ts, docs/wasm-abi.md "Fuel") must put checks and what each check
 * charges, decided on the module's call graph. Loops are always metered, so only calls can make a
 * guest run long without a loop: through a cycle of calls (recursion), or through a call tree that
 * fans out without limit (f calls g twice, g calls h twice, …: 2^n calls and no cycle).
 *
 * The graph: one node per function and one node for "any table slot", with an edge from each
 * function to its direct callees (`call`, `return_call`), from each function with an indirect call
 * (`call_indirect`, `return_call_indirect`) to the table node, and from the table node to every
 * possible indirect target. Imported functions are leaves: the host never calls back into the guest
 * during a request. Strongly connected components come from Tarjan's algorithm, in reverse
 * topological order, so every callee outside a component is decided before its callers.
 *
 * A function gets an entry check when it lies on a cycle (a component of two or more nodes, or a
 * direct call to itself), or when the calls it may make before its next check (`prepaid`, below)
 * exceed PREPAID_CALLS_MAX. Every other function is "prepaid": each check charges
 * 1 + the activations of prepaid functions that the calls in its region may cause, where a region is
 * a function body outside its loops (checked at entry) or one loop body outside nested loops
 * (checked at its header). An indirect call site costs its most expensive possible target.
 *
 * Invariants: every function on a cycle of the call graph is checked; every charge is an integer in
 * 1..CHARGE_UNITS_MAX; unless a charge was capped, the fuel spent is at least the number of function
 * entries and loop iterations run since a host call began, less at most 1 + PREPAID_CALLS_MAX for
 * the entry the host made.
 */
import { assert } from "../../engine/assert.ts";

/**
 * Most activations of prepaid functions that one prepaid function may cause outside loops; a
 * function that may cause more gets its own entry check. Larger means fewer checks but cruder
 * charges (a check pays for every call site of its region, taken or not).
 */
export const PREPAID_CALLS_MAX = 64;
/**
 * Largest charge of one check, in fuel units: above a FUEL_SLICE (core_abi.ts) it would only mean one
 * more out_of_fuel call anyway. A region whose calls would cost more is undercharged.
 */
export const CHARGE_UNITS_MAX = 1 << 20;

/** The calls of one region: a function body outside its loops, or one loop body outside nested loops. */
export interface CallRegion {
  /** Callee of each direct call site (`call`, `return_call`), one entry per site. */
  calls: readonly string[];
  /** Number of indirect call sites (`call_indirect`, `return_call_indirect`). */
  indirectCalls: number;
}

/** One function of the module, as the injector scanned it. */
export interface FunctionSummary {
  name: string;
  /** An import (a host function): a leaf of the call graph that costs no fuel. */
  imported: boolean;
  /** Region 0 is the body outside loops, then one region per loop (empty for an import). */
  regions: readonly CallRegion[];
}

/** Why a function got an entry check. */
export type EntryCheck = "cycle" | "calls";

/** The fuel plan of one defined function. */
export interface FunctionFuel {
  /** Why its entry is checked, or null when its callers' checks prepay it. */
  entryCheck: EntryCheck | null;
  /** The charge of each region's check (index 0: the entry check, used only when entryCheck is set). */
  charges: number[];
}

/** Strongly connected components of a graph in reverse topological order (iterative Tarjan). */
export function stronglyConnected(edges: readonly (readonly number[])[]): number[][] {
  const n = edges.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const frames: [node: number, edge: number][] = [[root, 0]];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const [v, e] = frame;
      if (e < edges[v].length) {
        frame[1]++;
        const w = edges[v][e];
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          frames.push([w, 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] !== index[v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  }
  return components;
}

/** The call graph's edges: node i is functions[i], node functions.length the table. */
function callEdges(
  functions: readonly FunctionSummary[],
  indexOf: ReadonlyMap<string, number>,
  indirectTargets: ReadonlySet<string>,
): number[][] {
  const table = functions.length;
  const edges = functions.map((f) => {
    const callees = new Set<number>();
    for (const region of f.regions) {
      for (const callee of region.calls) callees.add(indexOf.get(callee)!);
      if (region.indirectCalls > 0) callees.add(table);
    }
    return [...callees];
  });
  edges.push([...indirectTargets].map((name) => indexOf.get(name)!));
  return edges;
}

/**
 * Decides which functions get an entry check and what every check charges (see the file header).
 * @param functions every function of the module, imports included; every callee is one of them
 * @param indirectTargets every function an indirect call might reach (a superset is safe)
 * @returns the plan of every defined function, by name
 */
export function planFuel(
  functions: readonly FunctionSummary[],
  indirectTargets: ReadonlySet<string>,
): Map<string, FunctionFuel> {
  const indexOf = new Map(functions.map((f, i) => [f.name, i]));
  for (const f of functions) {
    for (const region of f.regions) {
      for (const callee of region.calls) assert(indexOf.has(callee), `callee "${callee}" is a function`);
    }
  }
  for (const name of indirectTargets) assert(indexOf.has(name), `table target "${name}" is a function`);
  const edges = callEdges(functions, indexOf, indirectTargets);
  const table = functions.length;
  // prepaid[i]: activations one call to node i may cause before the next check (0: it checks itself).
  const prepaid = new Float64Array(table + 1);
  const checks = new Map<number, EntryCheck>();
  const calls = (region: CallRegion) =>
    region.calls.reduce((sum, callee) => sum + prepaid[indexOf.get(callee)!], 0) +
    region.indirectCalls * prepaid[table];
  const tableCost = () => edges[table].reduce((max, t) => Math.max(max, prepaid[t]), 0);
  for (const component of stronglyConnected(edges)) {
    const only = component[0];
    const cyclic = component.length > 1 || edges[only].includes(only);
    for (const node of component) if (cyclic && node !== table) checks.set(node, "cycle");
    if (component.includes(table)) prepaid[table] = tableCost();
    if (cyclic || only === table || functions[only].imported) continue;
    const inner = calls(functions[only].regions[0]);
    if (inner > PREPAID_CALLS_MAX) checks.set(only, "calls");
    else prepaid[only] = 1 + inner;
  }
  const plan = new Map<string, FunctionFuel>();
  functions.forEach((f, i) => {
    if (f.imported) return;
    const charges = f.regions.map((region) => Math.min(CHARGE_UNITS_MAX, 1 + calls(region)));
    plan.set(f.name, { entryCheck: checks.get(i) ?? null, charges });
  });
  return plan;
}
