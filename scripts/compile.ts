/**
 * `deno task compile [--target TRIPLE] [--output FILE]`: compiles main.ts into one `planck`
 * binary (default dist/planck) with `deno compile --no-check`, embedding exactly what the compile
 * plan (scripts/compile_plan.ts) keeps: the module graph (engine, host, CLI, workbench assets,
 * templates, the guest library and AssemblyScript SDK as text imports) and the npm packages it
 * reaches (QuickJS, esbuild-wasm, AssemblyScript + binaryen's index.js, bson, yaml, croner, htmx,
 * Datastar), without test/bench packages, binaryen's native tools, source maps and type
 * declarations. Nothing is read from the source tree at run time (tests/cli/compile_ready_test.ts).
 *
 * `deno compile` writes the Deno runtime `denort` (of this Deno, 2.9.6, for the target) into the
 * binary: it takes `DENORT_BIN` when set, else its cache, else downloads it from Deno's release
 * host. Where that host cannot be reached the script stops with exit code 1 and says exactly that
 * (this is the case on the machine the project is developed on: see README "Compile").
 */
import * as path from "node:path";
import { describePlan, embedPlan } from "./compile_plan.ts";
import { DENO_VERSION } from "./install.ts";

/** Targets `deno compile` supports (release.ts builds them all). */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** What `compile` did. */
export interface CompileResult {
  ok: boolean;
  output: string;
  /** Why it failed (a sentence for the user), when it did. */
  reason?: string;
}

/** The target triple of this machine. */
export function hostTarget(): string {
  return Deno.build.target;
}

/** Marks of a failed runtime download in `deno compile`'s output. */
const DOWNLOAD_FAILED = /(error sending request|dns error|Download could not be found|failed to download)/i;

/** Compiles main.ts of `repo` for `target` to `output`. Output of deno compile streams through. */
export async function compile(repo: string, target: string, output: string): Promise<CompileResult> {
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined) {
    try {
      if (!(await Deno.stat(denort)).isFile) throw new Error("not a file");
    } catch {
      return {
        ok: false,
        output,
        reason: `DENORT_BIN=${denort} is not a file: point it at a denort ${DENO_VERSION} binary`,
      };
    }
  }
  const plan = await embedPlan(repo);
  console.log(describePlan(plan));
  const args = ["compile", "-A", "--no-check", "--target", target, "--output", output];
  for (const excluded of plan.excludes) args.push("--exclude", excluded);
  args.push(path.join(repo, "main.ts"));
  await Deno.mkdir(path.dirname(path.resolve(repo, output)), { recursive: true });
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: repo,
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    const text = decoder.decode(chunk, { stream: true });
    stderr += text;
    await Deno.stderr.write(chunk);
  }
  const { code } = await child.status;
  if (code === 0) return { ok: true, output };
  if (denort === undefined && DOWNLOAD_FAILED.test(stderr)) {
    return {
      ok: false,
      output,
      reason:
        `deno compile could not download denort-${target} (the Deno ${DENO_VERSION} runtime it writes into ` +
        `the binary) from Deno's release host, which this machine cannot reach. Set DENORT_BIN to a local ` +
        `denort ${DENO_VERSION} binary for ${target} and run again.`,
    };
  }
  return { ok: false, output, reason: `deno compile exited with code ${code}` };
}

if (import.meta.main) {
  const args = [...Deno.args];
  const take = (flag: string) => {
    const at = args.indexOf(flag);
    return at < 0 ? undefined : args.splice(at, 2)[1];
  };
  const target = take("--target") ?? hostTarget();
  const output = take("--output") ?? path.join("dist", target.includes("windows") ? "planck.exe" : "planck");
  if (args.length > 0) {
    console.error(
      `compile: unexpected ${args.join(" ")} (usage: deno task compile [--target T] [--output F])`,
    );
    Deno.exit(2);
  }
  const repo = path.resolve(import.meta.dirname!, "..");
  const result = await compile(repo, target, output);
  if (!result.ok) {
    console.error(`compile: failed: ${result.reason}`);
    Deno.exit(1);
  }
  const size = (await Deno.stat(path.resolve(repo, output))).size;
  console.log(`compile: wrote ${output} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}
