/**
 * The compile plan (scripts/compile_plan.ts) keeps the binary small and whole: it embeds under
 * EMBED_BYTES_MAX, leaves out the npm packages only tests and benchmarks use, keeps every file the
 * program reads at run time (esbuild.wasm, the QuickJS engine, asc and binaryen's index.js), and
 * drops binaryen's native tools. Also: `deno task compile` with a DENORT_BIN that is not a file
 * fails at once, saying so.
 */
import * as path from "node:path";
import { EMBED_BYTES_MAX, embedPlan, mib, npmPackageId } from "../../scripts/compile_plan.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

Deno.test("compile plan: small, without test tools, with every file read at run time", async () => {
  const plan = await embedPlan(REPO);
  assert(plan.embeddedBytes <= EMBED_BYTES_MAX, `${mib(plan.embeddedBytes)} > ${mib(EMBED_BYTES_MAX)}`);
  const unused = plan.unused.map((p) => p.id.slice(0, p.id.lastIndexOf("@")));
  assert(unused.includes("playwright-core"), unused.join(", "));
  const embedded = plan.packages.map((p) => p.id.slice(0, p.id.lastIndexOf("@")));
  for (
    const name of [
      "esbuild-wasm",
      "@jitl/quickjs-wasmfile-release-sync",
      "assemblyscript",
      "binaryen",
      "bson",
    ]
  ) {
    assert(embedded.includes(name), `${name} is embedded`);
  }
  const excluded = new Set(plan.excludes);
  const store = path.join(REPO, "node_modules", ".deno");
  const kept = [
    "esbuild-wasm@0.25.0/node_modules/esbuild-wasm/esbuild.wasm",
    "@jitl+quickjs-wasmfile-release-sync@0.32.0/node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm",
    "assemblyscript@0.28.20/node_modules/assemblyscript/dist/asc.js",
  ];
  for (const file of kept) {
    const full = path.join(store, file);
    await Deno.stat(full);
    assert(!excluded.has(full), `${file} is kept`);
  }
  assert(
    [...excluded].some((f) => f.includes(`${path.sep}binaryen${path.sep}bin${path.sep}wasm-opt`)),
    "binaryen's native tools are left out",
  );
  assertEquals(npmPackageId("npm:/assemblyscript@0.28.20/dist/asc.js"), "assemblyscript@0.28.20");
  assertEquals(
    npmPackageId("npm:/@jitl/quickjs-wasmfile-release-sync@0.32.0"),
    "@jitl/quickjs-wasmfile-release-sync@0.32.0",
  );
  assertEquals(npmPackageId("npm:bson@7.3.4"), "bson@7.3.4");
});

Deno.test("deno task compile: a DENORT_BIN that is not a file fails at once, naming it", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", path.join(REPO, "scripts", "compile.ts"), "--output", "/nonexistent-dir/planck"],
    cwd: REPO,
    env: { DENORT_BIN: "/nonexistent/denort", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1, text);
  assert(text.includes("DENORT_BIN=/nonexistent/denort is not a file"), text);
});
