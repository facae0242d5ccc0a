/**
 * Writes docs/limits.md from the limits modules themselves: every exported numeric constant, its
 * value and the sentence that declares it. tests/limits_doc_test.ts fails when the file and the code
 * disagree, so the table cannot go stale. Run: `deno run -A scripts/limits_doc.ts`.
 */
import * as engineLimits from "../engine/limits.ts";
import * as queryLimits from "../engine/query/limits.ts";
import * as pqlLimits from "../engine/pql/limits.ts";
import * as hostLimits from "../host/limits.ts";
import * as workbenchLimits from "../workbench/limits.ts";
import * as abi from "../protocol/abi.ts";

/** The modules that declare limits, by the layer that owns and enforces them. */
export const LIMIT_MODULES: readonly {
  path: string;
  owner: string;
  values: Record<string, unknown>;
  /** Which exports are limits, when the module exports other numbers too (versions, codes). */
  only?: RegExp;
}[] = [
  { path: "engine/limits.ts", owner: "storage engine", values: engineLimits },
  { path: "engine/query/limits.ts", owner: "query layer", values: queryLimits },
  { path: "engine/pql/limits.ts", owner: "PQL parser", values: pqlLimits },
  { path: "protocol/abi.ts", owner: "service ABI (both tiers)", values: abi, only: /_(MAX|MIN|DEFAULT)$/ },
  { path: "host/limits.ts", owner: "host (wire, HTTP, services, config)", values: hostLimits },
  {
    path: "workbench/limits.ts",
    owner: "workbench (sessions, API bodies, pages, live streams)",
    values: workbenchLimits,
  },
];

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function formatValue(name: string, value: number): string {
  const plain = Number.isInteger(value) ? value.toLocaleString("en-US") : String(value);
  if (/BYTES/.test(name) && Number.isInteger(value) && value >= KiB) {
    for (const [unit, size] of [["GiB", GiB], ["MiB", MiB], ["KiB", KiB]] as const) {
      if (value % size === 0) return `${plain} (${value / size} ${unit})`;
    }
  }
  return plain;
}

/** The doc comment right above `export const NAME`, on one line. */
function docComment(source: string, name: string): string {
  const match = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export const ${name}\\b`).exec(source);
  if (match === null) return "";
  return match[1].split("\n").map((line) => line.replace(/^\s*\*\s?/, "").trim()).filter((l) => l !== "")
    .join(" ").replaceAll("|", "\\|");
}

/** The whole text of docs/limits.md. */
export function renderLimitsDoc(): string {
  const root = new URL("../", import.meta.url);
  const out: string[] = [
    "# Limits",
    "",
    "Every bound Planck enforces, declared once in the layer that owns it. This file is generated from the",
    "code by `deno run -A scripts/limits_doc.ts`, and tests/limits_doc_test.ts fails when the two disagree.",
    "Relations between limits (a wire frame carries a maximal document and a maximal PQL script; a group",
    "holds two maximal documents; a full sort never holds more rows than a scan returns, …) are asserted",
    "when each module loads, so a change that breaks one stops the program at start.",
    "",
    "A request past a bound is refused with error code `limit_exceeded` (HTTP 413 where it comes over HTTP)",
    "and the limit's name in `location.limit`; a configured value outside its `_MIN`/`_MAX` is refused at",
    "start with `invalid_argument` naming the config key. `_DEFAULT` values can be changed in the config",
    "file (docs/configuration.md).",
  ];
  for (const module of LIMIT_MODULES) {
    const source = Deno.readTextFileSync(new URL(module.path, root));
    out.push(
      "",
      `## ${module.path} — ${module.owner}`,
      "",
      "| limit | value | what it bounds |",
      "|---|---|---|",
    );
    for (const [name, value] of Object.entries(module.values)) {
      if (typeof value !== "number" || (module.only !== undefined && !module.only.test(name))) continue;
      out.push(`| \`${name}\` | ${formatValue(name, value)} | ${docComment(source, name)} |`);
    }
  }
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const path = new URL("../docs/limits.md", import.meta.url);
  Deno.writeTextFileSync(path, renderLimitsDoc());
  console.log(`wrote ${path.pathname}`);
}
