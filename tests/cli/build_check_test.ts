/**
 * `planck build` type-checks by default: a project of `planck new` with a `c.session` mistake (no
 * such member of Context — it bundles fine, since esbuild only strips types) fails the build with
 * `service.ts:line:column: error TS2339` and writes no .wasm; `--no-check` builds it anyway; a
 * service with no deno.json and a bare `"planck"` import is checked against the guest library.
 */
import * as path from "node:path";
import { assert, assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

async function planck(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", path.join(REPO, "main.ts"), ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, out: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(file);
    return true;
  } catch {
    return false;
  }
}

Deno.test("planck build: a type error fails the build at file:line:column; --no-check skips", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_check_" });
  try {
    assertEquals((await planck(["new", "shop"], root)).code, 0);
    const project = path.join(root, "shop");
    const clean = await planck(["build", "shop"], root);
    assertEquals(clean.code, 0, clean.out);
    assert(/type check \d+ ms/.test(clean.out), clean.out);
    await Deno.remove(path.join(project, "shop.wasm"));

    const service = path.join(project, "service.ts");
    const original = await Deno.readTextFile(service);
    const lines = original.split("\n");
    const at = lines.findIndex((l) => l.startsWith("export default app"));
    lines.splice(at, 0, 'app.get("/me", (c) => c.text(c.session.get("user") ?? "nobody"));');
    await Deno.writeTextFile(service, lines.join("\n"));
    const failed = await planck(["build", "shop"], root);
    assertEquals(failed.code, 1, failed.out);
    const column = lines[at].indexOf("c.session") + 3;
    assert(
      failed.out.includes(
        `shop/service.ts:${at + 1}:${column}: error TS2339: Property 'session' does not exist`,
      ),
      failed.out,
    );
    assert(failed.out.includes("--no-check"), failed.out);
    assert(!(await exists(path.join(project, "shop.wasm"))), "no .wasm written");

    const skipped = await planck(["build", "shop", "--no-check"], root);
    assertEquals(skipped.code, 0, skipped.out);
    assert(skipped.out.includes("not type-checked"), skipped.out);
    assert(await exists(path.join(project, "shop.wasm")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test('planck build: a service without deno.json checks its bare "planck" import', async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_check_" });
  try {
    await Deno.writeTextFile(
      path.join(root, "service.ts"),
      'import { createApp } from "planck";\nconst app = createApp();\n' +
        'app.get("/", (c) => c.text(String(c.req.param("id") * 2)));\nexport default app;\n',
    );
    const failed = await planck(["build", "."], root);
    assertEquals(failed.code, 1, failed.out);
    assert(/service\.ts:3:\d+: error TS2362/.test(failed.out), failed.out);

    await Deno.writeTextFile(
      path.join(root, "service.ts"),
      'import { createApp } from "planck";\nconst app = createApp();\n' +
        'app.get("/", (c) => c.text(c.req.param("id")));\nexport default app;\n',
    );
    const built = await planck(["build", "."], root);
    assertEquals(built.code, 0, built.out);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
