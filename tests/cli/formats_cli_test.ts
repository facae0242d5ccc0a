/** `planck export/import --format bson|csv` end to end through `deno run -A main.ts …` subprocesses. */
import { assert, assertEquals } from "../_util/assert.ts";
import { runPlanck } from "../host/test_server.ts";

Deno.test("cli: export and import as BSON and CSV; a bad CSV row is named by line and field", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_cli_formats_" });
  try {
    const data = `${dir}/data`;
    const insert = await runPlanck([
      "pql",
      "--data",
      data,
      "--create",
      'orders.insert({"n": 1, "customer": {"name": "Ada", "city": "Oslo"}, "tags": ["a", "b"]})',
    ]);
    assertEquals(insert.code, 0, insert.stderr);
    for (const n of [2, 3]) {
      await runPlanck(["pql", "--data", data, `orders.insert({"n": ${n}, "customer": {"name": "B${n}"}})`]);
    }
    for (const format of ["bson", "csv"]) {
      const out = `${dir}/orders.${format}`;
      const exported = await runPlanck(["export", "orders", "--data", data, "--out", out, "--quiet"]);
      assertEquals(exported.code, 0, exported.stderr);
      const imported = await runPlanck(["import", `copy_${format}`, out, "--data", data, "--quiet"]);
      assertEquals(imported.code, 0, imported.stderr);
      assertEquals(JSON.parse(imported.stdout), {
        imported: 3,
        rejected: 0,
        lines: format === "csv" ? 4 : 3,
      });
      const found = await runPlanck(["pql", "--data", data, `copy_${format}.filter(customer.name = "Ada")`]);
      assert(found.stdout.includes("Oslo"), found.stdout);
    }
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/orders.csv.manifest.json`));
    assertEquals(manifest.columns.map((c: { name: string }) => c.name), [
      "n",
      "customer.name",
      "customer.city",
      "tags",
    ]);
    const rows = (await Deno.readTextFile(`${dir}/orders.csv`)).split("\n");
    rows[2] = rows[2].replace(/,2,/, ",two,");
    await Deno.writeTextFile(`${dir}/bad.csv`, rows.join("\n"));
    await Deno.copyFile(`${dir}/orders.csv.manifest.json`, `${dir}/bad.csv.manifest.json`);
    const bad = await runPlanck(["import", "bad", `${dir}/bad.csv`, "--data", data]);
    assertEquals(bad.code, 1);
    assert(bad.stderr.includes(`bad.csv:3: field "n": "two" is not an int32`), bad.stderr);
    const skipped = await runPlanck([
      "import",
      "bad",
      `${dir}/bad.csv`,
      "--data",
      data,
      "--skip-bad",
      "--quiet",
    ]);
    assertEquals(JSON.parse(skipped.stdout), { imported: 2, rejected: 1, lines: 4 });
    const rejects = (await Deno.readTextFile(`${dir}/bad.csv.rejects.jsonl`)).trim().split("\n");
    assertEquals(JSON.parse(rejects[0]).line, 3);
    const noOut = await runPlanck(["export", "orders", "--data", data, "--format", "csv"]);
    assertEquals(noOut.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
