/**
 * The fuel injector (docs/wasm-abi.md, "Fuel"): rewrites a native module with binaryen so the host
 * can stop it. It adds a mutable i32 global (exported as `__planck_fuel`) and the host-only import
 * `planck.out_of_fuel: () -> ()`, and prepends to every defined function's body and to every loop's
 * body `fuel -= 1; if (fuel < 0) out_of_fuel()`. Every loop is found by walking each body's
 * expression tree through binaryen's expression accessors (never by editing text).
 *
 * Invariants: every function entry and every loop header of the output spends one unit of fuel
 * before anything else runs there; an expression the walker does not know is refused (so no loop
 * can hide inside it); the output validates; custom sections are not kept (the host stores the
 * manifest separately).
 */
import binaryen from "binaryen";
import { PlanckError } from "../../engine/errors.ts";
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

/** Emits the fuel check: `fuel -= 1; if (fuel < 0) out_of_fuel()`; fresh nodes on every call. */
function fuelCheck(module: binaryen.Module, fuel: string, outOfFuel: string): binaryen.ExpressionRef {
  const i32 = binaryen.i32;
  return module.block(null, [
    module.global.set(fuel, module.i32.sub(module.global.get(fuel, i32), module.i32.const(1))),
    module.if(
      module.i32.lt_s(module.global.get(fuel, i32), module.i32.const(0)),
      module.call(outOfFuel, [], binaryen.none),
    ),
  ], binaryen.none);
}

/** Every loop in the tree under `root` (iterative: expression trees can be deep). */
function collectLoops(root: binaryen.ExpressionRef, fn: string): binaryen.ExpressionRef[] {
  const loops: binaryen.ExpressionRef[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const expr = stack.pop()!;
    const id = binaryen.getExpressionId(expr);
    const fields = CHILDREN.get(id);
    if (fields === undefined) {
      refuse(`function "${fn}" uses an instruction the injector does not know (id ${id})`);
    }
    if (id === binaryen.LoopId) loops.push(expr);
    if (fields.length === 0) continue;
    const info = binaryen.getExpressionInfo(expr) as unknown as Record<string, unknown>;
    for (const field of fields) {
      const child = info[field];
      if (Array.isArray(child)) stack.push(...child.filter((c) => c !== 0));
      else if (typeof child === "number" && child !== 0) stack.push(child);
    }
  }
  return loops;
}

/** A name not yet used by `taken`, starting from `base`. */
function freshName(base: string, taken: (name: string) => boolean): string {
  let name = base;
  for (let n = 1; taken(name); n++) name = `${base}_${n}`;
  return name;
}

function rewrite(module: binaryen.Module): void {
  const fuel = freshName("__planck_fuel", (name) => module.getGlobal(name) !== 0);
  const outOfFuel = freshName("__planck_out_of_fuel", (name) => module.getFunction(name) !== 0);
  const functions: binaryen.FunctionRef[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) functions.push(module.getFunctionByIndex(i));
  module.addGlobal(fuel, binaryen.i32, true, module.i32.const(START_FUEL));
  module.addGlobalExport(fuel, FUEL_GLOBAL_EXPORT);
  module.addFunctionImport(outOfFuel, FUEL_IMPORT_MODULE, FUEL_IMPORT_NAME, binaryen.none, binaryen.none);
  for (const func of functions) {
    const info = binaryen.getFunctionInfo(func);
    if (info.module || !info.body) continue; // an import: no body
    for (const loop of collectLoops(info.body, info.name)) {
      const body = Loop.getBody(loop);
      Loop.setBody(loop, module.block(null, [fuelCheck(module, fuel, outOfFuel), body], binaryen.auto));
    }
    Func.setBody(func, module.block(null, [fuelCheck(module, fuel, outOfFuel), info.body], binaryen.auto));
  }
}

/**
 * The module with fuel metering added (see the file header). Expects a module that compiles.
 * @throws PlanckError `invalid_argument` when binaryen cannot read it or it uses unsupported instructions
 */
export function injectFuel(wasm: Uint8Array): Uint8Array {
  let module: binaryen.Module;
  try {
    module = binaryen.readBinaryWithFeatures(wasm, FEATURES);
  } catch (error) {
    refuse(`binaryen cannot read it (${(error as { message?: string })?.message ?? String(error)})`);
  }
  try {
    rewrite(module);
    if (!module.validate()) refuse("the rewritten module does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}
