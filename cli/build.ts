/**
 * `planck build [DIR] [-o FILE]`: bundles the TypeScript service in DIR (default ".") into one
 * `.wasm` (host/wasm/build.ts). Works from the compiled binary: esbuild and the engine are wasm
 * carried inside it. Build errors print as file:line:column.
 */
import * as path from "node:path";
import { buildService } from "../host/wasm/build.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";

export const BUILD_USAGE = `planck build [DIR] [-o FILE]

  Bundles the service in DIR (default ".": planck.json names it, its version and entry; else the
  entry is service.ts or main.ts, named after the directory) into FILE (default <name>.wasm).
  Files under DIR/static/ are packed and served at /static/….`;

/** Runs `planck build`. */
export async function runBuild(args: string[]): Promise<number> {
  const parsed = parseArgs(args.map((a) => a === "-o" ? "--output" : a), { flags: ["--output"] });
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"`);
  const dir = parsed.positionals[0] ?? ".";
  const started = performance.now();
  const result = await buildService(dir);
  const output = parsed.flags.get("--output") ?? path.join(dir, `${result.manifest.name}.wasm`);
  await Deno.writeFile(output, result.wasm);
  const ms = Math.round(performance.now() - started);
  console.log(
    `planck: built "${result.manifest.name}" ${result.manifest.version} → ${output} ` +
      `(${result.wasm.length} bytes, bundle ${result.bundleBytes} bytes, ${result.manifest.routes.length} routes, ${ms} ms)`,
  );
  return EXIT.ok;
}
