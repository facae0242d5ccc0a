/** docs/limits.md is the table scripts/limits_doc.ts renders from the code: it cannot go stale. */
import { renderLimitsDoc } from "../scripts/limits_doc.ts";
import { assert } from "./_util/assert.ts";

Deno.test("docs/limits.md lists every limit with the value the code declares", () => {
  const written = Deno.readTextFileSync(new URL("../docs/limits.md", import.meta.url));
  const rendered = renderLimitsDoc();
  // deno fmt pads table columns and rewraps prose: compare the table rows cell by cell.
  const rows = (text: string) =>
    text.split("\n").filter((line) => line.startsWith("| `") || line.startsWith("## ")).map((line) =>
      line.split("|").map((cell) => cell.trim()).join("|")
    ).join("\n");
  assert(
    rows(written) === rows(rendered),
    "docs/limits.md is stale: run `deno run -A scripts/limits_doc.ts && deno fmt docs/limits.md`",
  );
});
