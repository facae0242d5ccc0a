/**
 * The two service tiers share host/guest/ instead of importing each other (issue #19): no file of
 * host/wasm/ imports host/native/ or host/services/, no file of host/native/ imports host/wasm/ or
 * host/services/, and host/guest/ imports neither tier.
 */
import { assertEquals } from "../_util/assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const IMPORT = /\bfrom\s+"(\.[^"]+)"|\bimport\s*\(\s*"(\.[^"]+)"\s*\)/g;

function importsOf(folder: string): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of Deno.readDirSync(`${ROOT}${folder}`)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    const file = `${folder}/${entry.name}`;
    for (const match of Deno.readTextFileSync(`${ROOT}${file}`).matchAll(IMPORT)) {
      const target = new URL(match[1] ?? match[2], `file://${ROOT}${file}`).pathname.slice(ROOT.length);
      out.push([file, target]);
    }
  }
  return out;
}

Deno.test("tier split: host/wasm and host/native share host/guest and never import each other", () => {
  const forbidden: Record<string, string[]> = {
    "host/wasm": ["host/native/", "host/services/"],
    "host/native": ["host/wasm/", "host/services/"],
    "host/guest": ["host/wasm/", "host/native/", "host/services/"],
  };
  const bad: string[] = [];
  for (const [folder, targets] of Object.entries(forbidden)) {
    for (const [file, target] of importsOf(folder)) {
      if (targets.some((t) => target.startsWith(t))) bad.push(`${file} → ${target}`);
    }
  }
  assertEquals(bad, []);
});
