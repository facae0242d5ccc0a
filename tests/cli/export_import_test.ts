/**
 * `planck export` / `planck import` end to end: `deno run -A main.ts …` subprocesses on a temp data
 * directory (offline) and against an in-process server (online, --connect).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../_util/assert.ts";
import { withServer } from "../host/test_server.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

async function planck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

const SAMPLE = [
  '{"key":"00000000000000000000000000000001","doc":{"n":{"$numberInt":"1"},"at":{"$date":{"$numberLong":"0"}}}}',
  '{"key":"00000000000000000000000000000002","doc":{"n":{"$numberLong":"9007199254740993"},"d":{"$numberDecimal":"0.10"}}}',
  '{"key":"00000000000000000000000000000003","doc":{"bin":{"$binary":{"base64":"AAE=","subType":"00"}},"x":{"$numberDouble":"2.5"}}}',
];

Deno.test("cli: import then export through --data gives the same lines; bad lines are named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_cli_ops_" });
  try {
    const data = `${dir}/data`;
    const input = `${dir}/in.jsonl`;
    await Deno.writeTextFile(input, SAMPLE.join("\n") + "\n");
    const imported = await planck(["import", "things", input, "--data", data]);
    assertEquals(imported.code, 0, imported.stderr);
    assertEquals(JSON.parse(imported.stdout), { imported: 3, rejected: 0, lines: 3 });
    assert(imported.stderr.includes("import things: 3 records"), imported.stderr);
    const exported = await planck(["export", "things", "--data", data, "--out", `${dir}/out.jsonl`]);
    assertEquals(exported.code, 0, exported.stderr);
    assertEquals(await Deno.readTextFile(`${dir}/out.jsonl`), SAMPLE.join("\n") + "\n");
    const filtered = await planck(["export", "things", "--data", data, "--filter", "n = 1", "--quiet"]);
    assertEquals(filtered.stdout, SAMPLE[0] + "\n");

    const bad = `${dir}/bad.jsonl`;
    await Deno.writeTextFile(
      bad,
      [SAMPLE[0], '{"key":"00000000000000000000000000000009","doc":{"n":{"$numberInt":"x"}}}', "{"].join(
        "\n",
      ),
    );
    const refused = await planck(["import", "other", bad, "--data", data]);
    assertEquals(refused.code, 1);
    assert(refused.stderr.includes(`${bad}:2: field "doc.n":`), refused.stderr);
    assert(refused.stderr.includes(`${bad}:3: invalid JSON`), refused.stderr);
    assert(refused.stderr.includes("nothing imported"), refused.stderr);
    const none = await planck(["pql", "--data", data, "show stores"]);
    assert(!none.stdout.includes('"other"'), none.stdout);

    const skipped = await planck(["import", "other", bad, "--data", data, "--skip-bad", "--keys", "new"]);
    assertEquals(skipped.code, 0, skipped.stderr);
    assertEquals(JSON.parse(skipped.stdout), { imported: 1, rejected: 2, lines: 3 });
    const rejects = (await Deno.readTextFile(`${bad}.rejects.jsonl`)).trim().split("\n").map((line) =>
      JSON.parse(line)
    );
    assertEquals(rejects.map((r) => [r.line, r.field]), [[2, "doc.n"], [3, undefined]]);
    assert(rejects[0].reason.includes("not an int32"), rejects[0].reason);

    const usage = await planck(["export", "things", "--data", data, "--format", "csv"]);
    assertEquals(usage.code, 2);
    const missing = await planck(["import", "things", `${dir}/nope.jsonl`, "--data", data]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("no such file (not_found)"), missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: import and export over --connect against a running server", async () => {
  await withServer(async ({ admin }) => {
    const dir = await Deno.makeTempDir({ prefix: "planck_cli_ops_" });
    try {
      const input = `${dir}/in.jsonl`;
      await Deno.writeTextFile(input, SAMPLE.join("\n") + "\n");
      const imported = await planck(["import", "remote", input, "--connect", admin]);
      assertEquals(imported.code, 0, imported.stderr);
      const again = await planck(["import", "remote", input, "--connect", admin]);
      assertEquals(again.code, 1, "a key that exists refuses the batch");
      assert(again.stderr.includes("lines 1-3"), again.stderr);
      const exported = await planck(["export", "remote", "--connect", admin, "--quiet"]);
      assertEquals(exported.code, 0, exported.stderr);
      assertEquals(exported.stdout, SAMPLE.join("\n") + "\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
