/**
 * `planck build [DIR] [-o FILE] [--no-check]`: bundles the TypeScript service in DIR (default ".") into one
 * `.wasm` (host/wasm/build.ts), or, when DIR/planck.json says `"tier": "native"`, compiles its
 * AssemblyScript entry (host/native/build.ts). Works from the compiled binary: esbuild, the engine
 * and the AssemblyScript compiler are carried inside it. Build errors print as file:line:column.
 *
 * A TypeScript service is type-checked first (cli/type_check.ts: `deno check` of its entry against
 * the guest library it links with), so `c.sesion` fails the build instead of failing at run time;
 * `--no-check` skips that step. The native tier is checked by asc itself.
 */
import * as path from "node:path";
import { buildNativeService } from "../host/native/build.ts";
import { buildService, serviceEntry } from "../host/wasm/build.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { typeCheck } from "./type_check.ts";

export const BUILD_USAGE = `planck build [DIR] [-o FILE] [--no-check]

  Bundles the service in DIR (default ".": planck.json names it, its version and entry; else the
  entry is service.ts or main.ts, named after the directory) into FILE (default <name>.wasm).
  Files under DIR/static/ are packed and served at /static/…. With "tier": "native" in
  planck.json, the entry (default assembly/index.ts) is AssemblyScript, compiled with asc.
  The entry is type-checked first (deno check, "planck" resolved to the library the service
  links with); errors print as file:line:column. --no-check skips the type check.`;

/** Runs `planck build`. */
export async function runBuild(args: string[]): Promise<number> {
  const parsed = parseArgs(args.map((a) => a === "-o" ? "--output" : a), {
    flags: ["--output"],
    switches: ["--no-check"],
  });
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"`);
  const dir = parsed.positionals[0] ?? ".";
  const started = performance.now();
  const native = await isNative(dir);
  let checkMs: number | undefined;
  if (!native && !parsed.switches.has("--no-check")) {
    await typeCheck(await serviceEntry(dir));
    checkMs = Math.round(performance.now() - started);
  }
  const result = native ? await buildNativeService(dir) : await buildService(dir);
  const output = parsed.flags.get("--output") ?? path.join(dir, `${result.manifest.name}.wasm`);
  await Deno.writeFile(output, result.wasm);
  const ms = Math.round(performance.now() - started);
  console.log(
    `planck: built "${result.manifest.name}" ${result.manifest.version} → ${output} ` +
      `(${result.wasm.length} bytes, bundle ${result.bundleBytes} bytes, ${result.manifest.routes.length} routes, ${ms} ms${
        checkMs === undefined ? ", not type-checked" : `, type check ${checkMs} ms`
      })`,
  );
  return EXIT.ok;
}

/** True when DIR/planck.json asks for the native tier (a missing or unreadable file means no). */
async function isNative(dir: string): Promise<boolean> {
  try {
    return JSON.parse(await Deno.readTextFile(path.join(dir, "planck.json")))?.tier === "native";
  } catch {
    return false;
  }
}
