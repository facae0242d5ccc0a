/**
 * The three entry points — mod.ts (handler authors), engine/mod.ts (embedding), client/mod.ts (wire
 * clients) — each open with a JSDoc example. This test takes each example as written, points its
 * `./mod.ts` import at the real module, and runs it in a subprocess: an example that stops working
 * fails here. `console.assert` failures count (they print "Assertion failed" without throwing).
 */
import { assert } from "./_util/assert.ts";
import { withServer } from "./host/test_server.ts";

const ROOT = new URL("../", import.meta.url);

/** The first ```ts block of the module's header comment, with the leading " * " removed. */
function headerExample(path: string): string {
  const source = Deno.readTextFileSync(new URL(path, ROOT));
  const match = /```ts[^\n]*\n([\s\S]*?)\n\s*\*\s*```/.exec(source);
  assert(match !== null, `${path} has no \`\`\`ts example in its header`);
  return match[1].split("\n").map((line) => line.replace(/^\s*\*( |$)/, "")).join("\n");
}

async function runExample(path: string, cwd?: string): Promise<void> {
  const module = new URL(path, ROOT).href;
  const code = headerExample(path).replaceAll('"./mod.ts"', JSON.stringify(module));
  const dir = await Deno.makeTempDir({ prefix: "planck_example_" });
  try {
    const file = `${dir}/example.ts`;
    await Deno.writeTextFile(file, code);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `--config=${new URL("deno.json", ROOT).pathname}`, file],
      cwd: cwd ?? dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert(output.success, `${path}'s example failed:\n${stderr}`);
    assert(!stderr.includes("Assertion failed"), `${path}'s example asserts false:\n${stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("mod.ts's example runs", async () => {
  await runExample("mod.ts");
});

Deno.test("engine/mod.ts's example runs", async () => {
  await runExample("engine/mod.ts");
});

Deno.test("client/mod.ts's example runs against a real server", async () => {
  await withServer(async ({ admin }) => {
    const cwd = await Deno.makeTempDir({ prefix: "planck_example_cwd_" });
    try {
      await Deno.mkdir(`${cwd}/data`);
      await Deno.writeTextFile(`${cwd}/data/admin.credentials`, admin + "\n");
      await runExample("client/mod.ts", cwd);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  });
});
