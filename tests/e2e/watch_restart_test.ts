/**
 * The client's watch iterators across a SIGKILL of a real `planck start` subprocess and a restart
 * on the same port: they reconnect by themselves and resume from the last event they yielded.
 * The events are compared with the writes the test made — no gap, no duplicate — for a store
 * watch (every write) and a filter watch (enter/leave, resumed with its matching keys).
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect, type WatchEvent, where } from "../../mod.ts";
import { spawnServer } from "../host/test_server.ts";

const WRITES = 60;

/** The key of write n. */
function keyOf(n: number): string {
  return BigInt(n + 1).toString(16).padStart(32, "0");
}

Deno.test("watch iterators resume across a SIGKILL and restart: no gap, no duplicate", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_watch_kill_" });
  try {
    let server = await spawnServer(dataDir);
    const port = server.port;
    const watcher = await connect(server.admin, { connectTimeoutMs: 30_000 });
    const writer = await connect(server.admin, { connectTimeoutMs: 30_000 });
    try {
      await writer.request("createStore", { store: "events" });
      const all = watcher.store("events").watch();
      const open = watcher.store<{ n: number; status: string }>("events")
        .filter(where("status").eq("open")).watch();
      // Expected: write n inserts {n, status: open}; every third write also closes write n - 1.
      const expectedAll: [string, string][] = [];
      const expectedOpen: [string, string][] = [];
      const write = async (n: number) => {
        await writer.put("events", keyOf(n), { n, status: "open" });
        expectedAll.push(["insert", keyOf(n)]);
        expectedOpen.push(["enter", keyOf(n)]);
        if (n % 3 === 2) {
          await writer.put("events", keyOf(n - 1), { n: n - 1, status: "closed" });
          expectedAll.push(["update", keyOf(n - 1)]);
          expectedOpen.push(["leave", keyOf(n - 1)]);
        }
      };
      const gotAll: WatchEvent[] = [];
      const gotOpen: WatchEvent[] = [];
      const takeUntil = async (events: AsyncIterator<WatchEvent>, into: WatchEvent[], count: number) => {
        while (into.length < count) {
          const next = await events.next();
          assert(next.done !== true, `the watch ended after ${into.length} events`);
          into.push(next.value);
        }
      };
      // Let the filter watch's internal snapshot open before writing.
      const firstOpen = takeUntil(open, gotOpen, 1);
      const firstAll = takeUntil(all, gotAll, 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (let n = 0; n < WRITES / 2; n++) await write(n);
      await Promise.all([firstOpen, firstAll]);
      // Consume only part of the events, then kill the server without warning.
      await takeUntil(all, gotAll, 10);
      await takeUntil(open, gotOpen, 5);
      assertEquals((await server.stop("SIGKILL")).signal, "SIGKILL");
      const consuming = Promise.all([
        takeUntil(all, gotAll, expectedAll.length),
        takeUntil(open, gotOpen, expectedOpen.length),
      ]);
      server = await spawnServer(dataDir, { wirePort: port });
      await consuming; // the rest of the first half, after the iterators reconnected
      for (let n = WRITES / 2; n < WRITES; n++) await write(n);
      await takeUntil(all, gotAll, expectedAll.length);
      await takeUntil(open, gotOpen, expectedOpen.length);
      assertEquals(gotAll.map((e) => [e.op, e.key]), expectedAll);
      assertEquals(gotOpen.map((e) => [e.op, e.key]), expectedOpen);
      for (let i = 1; i < gotAll.length; i++) assert(gotAll[i].lsn > gotAll[i - 1].lsn, "LSNs increase");
      // Nothing more is pending: the next event is for a write made now.
      const next = all.next();
      await writer.put("events", keyOf(1000), { n: 1000, status: "open" });
      assertEquals((await next).value?.key, keyOf(1000));
      await all.return?.();
      await open.return?.();
    } finally {
      watcher.close();
      writer.close();
      await server.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
