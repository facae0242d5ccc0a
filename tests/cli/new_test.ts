/**
 * `planck new` for each style, into a temp dir: the project type-checks and its own tests pass
 * (`planck test`: built, deployed to an in-process Planck, driven over HTTP),
 * and `planck build` + `planck deploy` put it on a real server answering over HTTP. Also: every
 * template file is embedded, and a non-empty directory or a bad name is refused.
 */
import * as path from "node:path";
import { assert, assertEquals } from "../_util/assert.ts";
import { withServer } from "../host/test_server.ts";
import { TEMPLATE_FILES } from "../../cli/new/template_files.ts";
import { REPO } from "./fresh_clone.ts";

async function run(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, out: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}

const planck = (args: string[], cwd: string) => run(["run", "-A", path.join(REPO, "main.ts"), ...args], cwd);

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_new_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const style of ["monolith", "api", "scs"]) {
  Deno.test(`planck new --style ${style}: checks, passes its own tests, builds and deploys`, async () => {
    await withTemp(async (dir) => {
      const made = await planck(["new", "shop", "--style", style], dir);
      assertEquals(made.code, 0, made.out);
      const project = path.join(dir, "shop");
      const tested = await planck(["test", project], dir);
      assertEquals(tested.code, 0, tested.out);
      assert(/ok \| [1-9]\d* passed \| 0 failed/.test(tested.out), tested.out);

      const service = style === "scs" ? path.join(project, "orders") : project;
      const built = await planck(["build", service], dir);
      assertEquals(built.code, 0, built.out);
      const name = style === "scs" ? "orders" : "shop";
      await withServer(async ({ server, admin }) => {
        const deployed = await planck(
          ["deploy", path.join(service, `${name}.wasm`), "--connect", admin],
          dir,
        );
        assertEquals(deployed.code, 0, deployed.out);
        const base = `http://127.0.0.1:${server.ports.http}`;
        const home = await fetch(`${base}${style === "api" ? "/openapi.json" : "/"}`);
        const text = await home.text();
        assertEquals(home.status, 200, text);
        if (style === "api") assertEquals(JSON.parse(text).openapi, "3.1.0");
        else assert(text.includes('<script src="/_planck/assets/htmx.min.js">'), text);
      });
      assert((await Deno.readTextFile(path.join(project, ".gitignore"))).includes("*.wasm"));
    });
  });
}

Deno.test("planck new: every template file is embedded; bad names and non-empty dirs are refused", async () => {
  const root = path.join(REPO, "cli", "new", "templates");
  const onDisk: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory) await walk(file);
      else onDisk.push(path.relative(root, file));
    }
  };
  await walk(root);
  assertEquals(Object.keys(TEMPLATE_FILES).sort(), onDisk.sort());
  await withTemp(async (dir) => {
    const bad = await planck(["new", "Shop-1"], dir);
    assertEquals(bad.code, 2, bad.out);
    assert(bad.out.includes("lower-case"), bad.out);
    await Deno.mkdir(path.join(dir, "taken"));
    await Deno.writeTextFile(path.join(dir, "taken", "x"), "");
    const taken = await planck(["new", "taken"], dir);
    assertEquals(taken.code, 2, taken.out);
    assert(taken.out.includes("not empty"), taken.out);
    const style = await planck(["new", "shop", "--style", "micro"], dir);
    assertEquals(style.code, 2, style.out);
  });
});
