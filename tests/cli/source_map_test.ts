/**
 * Guest stacks in the user's source: a service whose handler throws two calls deep is built by
 * `planck build` (inline source map in `planck.js`), deployed to a real server, requested over
 * HTTP; the server's log line for that request id names `service.ts` / `lib/deep.ts` at the exact
 * line and column of the throw and the calls, and the framework frames as `planck:framework/…`,
 * never `planck.js:`. Also: the VLQ decoder against a hand-encoded map, and a bundle without a map
 * keeps its stack as it is.
 */
import * as path from "node:path";
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";
import { decodeSourceMap, mapGuestStack, originalPosition } from "../../host/wasm/source_map.ts";
import { assert, assertEquals } from "../_util/assert.ts";

const DEEP = `export function deep(n: number): string {
  if (n > 1) throw new Error("kaput " + n);
  return deep(n + 1);
}
`;
const SERVICE = `import { createApp } from "planck";
import { deep } from "./lib/deep.ts";

const app = createApp();
app.get("/ok", (c) => c.text("fine"));
app.get("/boom", (c) => c.text(deep(0)));
export default app;
`;

Deno.test("a handler that throws is logged with its stack at the source's file:line:column", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_map_" });
  const dataDir = await Deno.makeTempDir({ prefix: "planck_map_data_" });
  const lines: string[] = [];
  try {
    await Deno.mkdir(path.join(root, "lib"));
    await Deno.writeTextFile(path.join(root, "lib", "deep.ts"), DEEP);
    await Deno.writeTextFile(path.join(root, "service.ts"), SERVICE);
    await Deno.writeTextFile(path.join(root, "planck.json"), '{ "name": "mapped", "version": "1.0.0" }');
    const built = await buildService(root);
    const config = defaultConfig();
    config.dataDir = dataDir;
    config.ports = { wire: 0, http: 0, workbench: 0 };
    const server = await startServer(config, { log: (l) => lines.push(l), signals: false, noLogFile: true });
    try {
      const client = await connect(server.adminConnection!);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      const base = `http://127.0.0.1:${server.ports.http}`;
      assertEquals(await (await fetch(`${base}/ok`)).text(), "fine");
      const boom = await fetch(`${base}/boom`);
      assertEquals(boom.status, 500);
      await boom.body?.cancel();
      const id = boom.headers.get("x-request-id")!;
      const line = lines.find((l) => l.includes(`request ${id} failed`));
      assert(line !== undefined, lines.join("\n"));
      // A frame lands on the callee of its call (`Error(` on line 2, `deep(` on line 6) or, for a call
      // in a return statement, on `return` (line 3, where QuickJS puts it).
      const frames = line.split("\n").slice(1).map((f) => f.trim().replace(/^at \S+ /, ""));
      assertEquals(frames.slice(0, 4), [
        `(lib/deep.ts:2:${DEEP.split("\n")[1].indexOf("Error(") + 1})`,
        `(lib/deep.ts:3:${DEEP.split("\n")[2].indexOf("return") + 1})`,
        `(lib/deep.ts:3:${DEEP.split("\n")[2].indexOf("return") + 1})`,
        `(service.ts:6:${SERVICE.split("\n")[5].indexOf("deep(") + 1})`,
      ], line);
      assert(line.includes("(planck:framework/app.ts:"), line);
      assert(!line.includes("planck.js:"), line);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("source map decoding: VLQ segments, relative fields across lines, unmapped stays", () => {
  // "AAAA" = [0,0,0,0]: col 0 → a.ts 0:0. "UAEI" = [+10,+0,+2,+4]: col 10 → a.ts 2:4 (0-based).
  // Next line "ACAA" = [0,+1,+0,+0]: col 0 → b.ts 2:4 (source, line and column carry across lines).
  const map = decodeSourceMap(JSON.stringify({
    version: 3,
    sources: ["a.ts", "b.ts"],
    mappings: "AAAA,UAEI;ACAA",
  }));
  assertEquals(map.lines.length, 2);
  assertEquals(originalPosition(map, 1, 1), { source: "a.ts", line: 1, column: 1 });
  assertEquals(originalPosition(map, 1, 11), { source: "a.ts", line: 3, column: 5 });
  assertEquals(originalPosition(map, 1, 30), { source: "a.ts", line: 3, column: 5 });
  assertEquals(originalPosition(map, 2, 1), { source: "b.ts", line: 3, column: 5 });
  assertEquals(originalPosition(map, 9, 1), undefined);
  const stack = "    at f (planck.js:1:3)";
  assertEquals(mapGuestStack("globalThis.x = 1;", stack), stack);
  const encoded = btoa(JSON.stringify({ version: 3, sources: ["s.ts"], mappings: "AAAA" }));
  const bundle = `x();\n//# sourceMappingURL=data:application/json;base64,${encoded}\n`;
  assertEquals(mapGuestStack(bundle, stack), "    at f (s.ts:1:1)");
  assertEquals(mapGuestStack(bundle + "garbage", stack), stack);
});
