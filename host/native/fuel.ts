/**
 * The fuel injector (docs/wasm-abi.md, "Fuel"): rewrites a native module with binaryen so the host
 * can stop it. It adds a mutable i32 global (exported as `__planck_fuel`) and the host-only import
 * `planck.out_of_fuel: () -> ()`, and prepends `fuel -= charge; if (fuel < 0) out_of_fuel()` to
 * every loop's body and to the body of each function call_graph.ts picks (those on a cycle of
 * calls, or that may cause too many calls); the charges come from there too. Loops, calls and
 * `ref.func` are found by walking each body's expression tree through binaryen's expression
 * accessors (never by editing text); indirect calls may reach any function in an element segment or
 * named by `ref.func`.
 *
 * Invariants: every loop header spends fuel before anything else runs there, and so does the entry
 * of every function on a cycle of the call graph; fuel spent is at least the function entries plus
 * loop iterations run (call_graph.ts states the exact bound); an expression the walker does not
 * know is refused (so no loop or call can hide inside it); the output validates; custom sections
 * are not kept (the host stores the manifest separately).
 */
import binaryen from "binaryen";
import { PlanckError } from "../../protocol/errors.ts";
import { type FunctionFuel, type FunctionSummary, planFuel } from "./call_graph.ts";
import { FUEL_GLOBAL_EXPORT, FUEL_IMPORT_MODULE, FUEL_IMPORT_NAME, START_FUEL } from "./core_abi.ts";

/**
 * Features the rewritten module may use: what AssemblyScript, Rust, Zig and C emit and V8 runs
 * (no threads: the host's memory is not shared; no GC or strings: the walker does not know them).
 */
const FEATURES = binaryen.Features.MutableGlobals | binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.SignExt |
  binaryen.Features.ExceptionHandling | binaryen.Features.TailCall | binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue | binaryen.Features.ExtendedConst | binaryen.Features.BulkMemoryOpt |
  binaryen.Features.CallIndirectOverlong | binaryen.Features.RelaxedSIMD;

/** `getExpressionInfo` fields holding child expressions, by expression id (leaves map to []). */
const CHILDREN: ReadonlyMap<number, readonly string[]> = new Map<number, readonly string[]>([
  [binaryen.NopId, []],
  [binaryen.UnreachableId, []],
  [binaryen.LocalGetId, []],
  [binaryen.GlobalGetId, []],
  [binaryen.ConstId, []],
  [binaryen.MemorySizeId, []],
  [binaryen.DataDropId, []],
  [binaryen.RefNullId, []],
  [binaryen.RefFuncId, []],
  [binaryen.TableSizeId, []],
  [binaryen.RethrowId, []],
  [binaryen.PopId, []],
  [binaryen.AtomicFenceId, []],
  [binaryen.BlockId, ["children"]],
  [binaryen.IfId, ["condition", "ifTrue", "ifFalse"]],
  [binaryen.LoopId, ["body"]],
  [binaryen.BreakId, ["condition", "value"]],
  [binaryen.SwitchId, ["condition", "value"]],
  [binaryen.CallId, ["operands"]],
  [binaryen.CallIndirectId, ["target", "operands"]],
  [binaryen.LocalSetId, ["value"]],
  [binaryen.GlobalSetId, ["value"]],
  [binaryen.LoadId, ["ptr"]],
  [binaryen.StoreId, ["ptr", "value"]],
  [binaryen.UnaryId, ["value"]],
  [binaryen.BinaryId, ["left", "right"]],
  [binaryen.SelectId, ["ifTrue", "ifFalse", "condition"]],
  [binaryen.DropId, ["value"]],
  [binaryen.ReturnId, ["value"]],
  [binaryen.MemoryGrowId, ["delta"]],
  [binaryen.SIMDExtractId, ["vec"]],
  [binaryen.SIMDReplaceId, ["vec", "value"]],
  [binaryen.SIMDShuffleId, ["left", "right"]],
  [binaryen.SIMDTernaryId, ["a", "b", "c"]],
  [binaryen.SIMDShiftId, ["vec", "shift"]],
  [binaryen.SIMDLoadId, ["ptr"]],
  [binaryen.SIMDLoadStoreLaneId, ["ptr", "vec"]],
  [binaryen.MemoryInitId, ["dest", "offset", "size"]],
  [binaryen.MemoryCopyId, ["dest", "source", "size"]],
  [binaryen.MemoryFillId, ["dest", "value", "size"]],
  [binaryen.RefIsNullId, ["value"]],
  [binaryen.RefEqId, ["left", "right"]],
  [binaryen.RefAsId, ["value"]],
  [binaryen.TableGetId, ["index"]],
  [binaryen.TableSetId, ["index", "value"]],
  [binaryen.TableGrowId, ["value", "delta"]],
  [binaryen.TryId, ["body", "catchBodies"]],
  [binaryen.ThrowId, ["operands"]],
  [binaryen.TupleMakeId, ["operands"]],
  [binaryen.TupleExtractId, ["tuple"]],
]);

/** binaryen.js's Loop and Function accessors (present at run time, missing from its typings). */
const { Loop, Function: Func } = binaryen as unknown as {
  Loop: { getBody(loop: number): number; setBody(loop: number, body: number): void };
  Function: { setBody(func: number, body: number): void };
};

function refuse(message: string): never {
  throw new PlanckError("invalid_argument", `Cannot add fuel to the module: ${message}`, { field: "wasm" });
}

/** Emits a check charging `units`: `fuel -= units; if (fuel < 0) out_of_fuel()`; fresh nodes each call. */
function fuelCheck(module: binaryen.Module, names: FuelNames, units: number): binaryen.ExpressionRef {
  const i32 = binaryen.i32;
  return module.block(null, [
    module.global.set(
      names.fuel,
      module.i32.sub(module.global.get(names.fuel, i32), module.i32.const(units)),
    ),
    module.if(
      module.i32.lt_s(module.global.get(names.fuel, i32), module.i32.const(0)),
      module.call(names.outOfFuel, [], binaryen.none),
    ),
  ], binaryen.none);
}

/** The global and the import the checks use. */
interface FuelNames {
  fuel: string;
  outOfFuel: string;
}

/** What one walk of an expression tree found: its loops and, per region, its calls. */
interface Scan {
  /** The loop of each region (region 0, outside every loop, has none: 0). */
  loops: binaryen.ExpressionRef[];
  regions: { calls: string[]; indirectCalls: number }[];
  /** Functions named by `ref.func`. */
  refs: string[];
}

/**
 * Every loop, call and `ref.func` under `root`, each call in the region of its innermost loop
 * (iterative: expression trees can be deep). @throws PlanckError on an unknown instruction
 */
function scan(root: binaryen.ExpressionRef, where: string): Scan {
  const found: Scan = { loops: [0], regions: [{ calls: [], indirectCalls: 0 }], refs: [] };
  const stack: [binaryen.ExpressionRef, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [expr, outer] = stack.pop()!;
    const id = binaryen.getExpressionId(expr);
    const fields = CHILDREN.get(id);
    if (fields === undefined) refuse(`${where} uses an instruction the injector does not know (id ${id})`);
    if (fields.length === 0 && id !== binaryen.RefFuncId) continue;
    const info = binaryen.getExpressionInfo(expr) as unknown as Record<string, unknown>;
    let region = outer;
    if (id === binaryen.LoopId) {
      region = found.regions.push({ calls: [], indirectCalls: 0 }) - 1;
      found.loops.push(expr);
    } else if (id === binaryen.CallId) found.regions[region].calls.push(info.target as string);
    else if (id === binaryen.CallIndirectId) found.regions[region].indirectCalls++;
    else if (id === binaryen.RefFuncId) found.refs.push(info.func as string);
    for (const field of fields) {
      const child = info[field];
      const children = Array.isArray(child) ? child : [child];
      for (const c of children) if (typeof c === "number" && c !== 0) stack.push([c, region]);
    }
  }
  return found;
}

/**
 * Every function an indirect call may reach: those in an element segment or named by `ref.func`
 * (in a body or a global's initializer). When binaryen cannot list a segment (an entry other than
 * `ref.func`/`ref.null`), every function.
 */
function indirectTargets(module: binaryen.Module, all: readonly string[], refs: string[]): Set<string> {
  const targets = new Set(refs);
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const init = binaryen.getGlobalInfo(module.getGlobalByIndex(i)).init;
    if (init !== 0) { for (const name of scan(init, "a global initializer").refs) targets.add(name); }
  }
  for (let i = 0; i < module.getNumElementSegments(); i++) {
    let data: (string | null)[];
    try {
      data = binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(i)).data;
    } catch {
      return new Set(all); // binaryen lists only ref.func and ref.null entries
    }
    for (const name of data) if (name) targets.add(name);
  }
  return targets;
}

/** A name not yet used by `taken`, starting from `base`. */
function freshName(base: string, taken: (name: string) => boolean): string {
  let name = base;
  for (let n = 1; taken(name); n++) name = `${base}_${n}`;
  return name;
}

/** Scans every function and plans the checks (call_graph.ts); returns each function's loops and plan. */
function plan(
  module: binaryen.Module,
): { func: binaryen.FunctionRef; loops: number[]; fuel: FunctionFuel }[] {
  const functions: { func: binaryen.FunctionRef; summary: FunctionSummary; loops: number[] }[] = [];
  const refs: string[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(func);
    if (info.module || !info.body) { // an import: no body
      functions.push({ func, summary: { name: info.name, imported: true, regions: [] }, loops: [] });
      continue;
    }
    const found = scan(info.body, `function "${info.name}"`);
    refs.push(...found.refs);
    const summary = { name: info.name, imported: false, regions: found.regions };
    functions.push({ func, summary, loops: found.loops });
  }
  const summaries = functions.map((f) => f.summary);
  const targets = indirectTargets(module, summaries.map((f) => f.name), refs);
  const fuel = planFuel(summaries, targets);
  return functions.filter((f) => !f.summary.imported)
    .map(({ func, summary, loops }) => ({ func, loops, fuel: fuel.get(summary.name)! }));
}

function rewrite(module: binaryen.Module): void {
  const functions = plan(module);
  const names: FuelNames = {
    fuel: freshName("__planck_fuel", (name) => module.getGlobal(name) !== 0),
    outOfFuel: freshName("__planck_out_of_fuel", (name) => module.getFunction(name) !== 0),
  };
  module.addGlobal(names.fuel, binaryen.i32, true, module.i32.const(START_FUEL));
  module.addGlobalExport(names.fuel, FUEL_GLOBAL_EXPORT);
  module.addFunctionImport(
    names.outOfFuel,
    FUEL_IMPORT_MODULE,
    FUEL_IMPORT_NAME,
    binaryen.none,
    binaryen.none,
  );
  for (const { func, loops, fuel } of functions) {
    for (let r = 1; r < loops.length; r++) {
      const check = fuelCheck(module, names, fuel.charges[r]);
      Loop.setBody(loops[r], module.block(null, [check, Loop.getBody(loops[r])], binaryen.auto));
    }
    if (fuel.entryCheck === null) continue;
    const body = binaryen.getFunctionInfo(func).body;
    Func.setBody(func, module.block(null, [fuelCheck(module, names, fuel.charges[0]), body], binaryen.auto));
  }
}

function read(wasm: Uint8Array): binaryen.Module {
  try {
    return binaryen.readBinaryWithFeatures(wasm, FEATURES);
  } catch (error) {
    refuse(`binaryen cannot read it (${(error as { message?: string })?.message ?? String(error)})`);
  }
}

/**
 * Where `injectFuel` would put checks in `wasm` and what each would charge, by function name (the
 * names section's, else binaryen's index names); for tests and benchmarks.
 * @throws PlanckError `invalid_argument` as injectFuel
 */
export function fuelPlan(wasm: Uint8Array): Map<string, FunctionFuel> {
  const module = read(wasm);
  try {
    const names = plan(module).map(({ func, fuel }) => [binaryen.getFunctionInfo(func).name, fuel] as const);
    return new Map(names);
  } finally {
    module.dispose();
  }
}

/**
 * The module with fuel metering added (see the file header). Expects a module that compiles.
 * @throws PlanckError `invalid_argument` when binaryen cannot read it or it uses unsupported instructions
 */
export function injectFuel(wasm: Uint8Array): Uint8Array {
  const module = read(wasm);
  try {
    rewrite(module);
    if (!module.validate()) refuse("the rewritten module does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}
