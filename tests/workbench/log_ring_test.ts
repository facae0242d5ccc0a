/** LogRing: bounded, filtered queries, keys never kept, the file written as JSON lines. */
import { assert, assertEquals } from "../_util/assert.ts";
import { levelOf, LogRing, redactKeys, sourceOf } from "../../host/log_ring.ts";

Deno.test("LogRing keeps the newest entries up to its capacity, oldest first", () => {
  const ring = new LogRing(3);
  for (let i = 1; i <= 5; i++) ring.add("info", `line ${i}`);
  assertEquals(ring.query().map((e) => e.message), ["line 3", "line 4", "line 5"]);
  assertEquals(ring.lastSeq, 5);
  assertEquals(ring.query({ limit: 1 }).map((e) => e.seq), [5]);
  assertEquals(ring.query({ afterSeq: 4 }).map((e) => e.seq), [5]);
});

Deno.test("LogRing.query filters by level, text and source", () => {
  const ring = new LogRing();
  ring.add("info", "planck: ready");
  ring.add("error", "service orders request 1 failed", "service:orders");
  ring.add("warn", "disk getting full");
  assertEquals(ring.query({ level: "warn" }).map((e) => e.level), ["error", "warn"]);
  assertEquals(ring.query({ q: "READY" }).length, 1);
  assertEquals(ring.query({ source: "service:orders" }).length, 1);
});

Deno.test("redactKeys, levelOf and sourceOf read server lines", () => {
  assertEquals(
    redactKeys("planck: 127.0.0.1:1;uid=admin;key=abc-DEF_123"),
    "planck: 127.0.0.1:1;uid=admin;key=…",
  );
  assert(!redactKeys('log in as "admin" with the key 0iFtCejELljXqQ-S4-5aFKtpr52').includes("0iFt"));
  assertEquals(levelOf("service x request 2 failed (trap): boom"), "error");
  assertEquals(levelOf("planck: ready"), "info");
  assertEquals(sourceOf('planck: deployed service "orders" 1.0.0'), "service:orders");
});

Deno.test("LogRing writes JSON lines to its file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_log_" });
  try {
    const ring = new LogRing();
    ring.attachFile(`${dir}/planck.log`);
    ring.add("info", "hello");
    ring.close();
    const line = JSON.parse((await Deno.readTextFile(`${dir}/planck.log`)).trim());
    assertEquals([line.seq, line.level, line.message], [1, "info", "hello"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
