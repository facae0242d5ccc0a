/**
 * `planck start` as a real subprocess: SIGTERM during concurrent durable writes loses no
 * acknowledged write, and clients reconnect (with backoff) across a restart on the same port.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { spawnServer } from "../host/test_server.ts";

Deno.test("SIGTERM during writes: exit 0, and every acknowledged write survives the restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_sigterm_" });
  try {
    const first = await spawnServer(dataDir);
    const acknowledged: { key: string; n: number }[] = [];
    let stopWriting = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      const db = await connect(first.admin, { reconnect: false });
      try {
        for (let n = 0; !stopWriting; n++) {
          try {
            const key = await db.insert("events", { w, n });
            acknowledged.push({ key, n: w * 1_000_000 + n });
          } catch {
            return; // the server went away: anything unacknowledged may or may not be there
          }
        }
      } finally {
        db.close();
      }
    });
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    const status = await first.stop("SIGTERM");
    stopWriting = true;
    await Promise.all(writers);
    assertEquals(status.code, 0, first.output());
    assert(first.output().includes("planck: stopped"), first.output());

    const second = await spawnServer(dataDir);
    try {
      const db = await connect(second.admin);
      try {
        for (const { key, n } of acknowledged) {
          const doc = await db.get<{ w: number; n: number }>("events", key);
          assert(doc !== null, `acknowledged write ${key} is missing`);
          assertEquals(doc.w * 1_000_000 + doc.n, n);
        }
        const all = await db.scan("events", { limit: 100_000 });
        assert(all.length >= acknowledged.length);
      } finally {
        db.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a client reconnects with backoff after the server restarts on the same port", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_restart_" });
  try {
    const first = await spawnServer(dataDir);
    const db = await connect(first.admin, { connectTimeoutMs: 20_000 });
    try {
      const key = await db.insert("orders", { n: 1 });
      assertEquals((await first.stop("SIGINT")).code, 0);
      const restarting = spawnServer(dataDir, { wirePort: first.port });
      const read = db.get<{ n: number }>("orders", key); // retries while the server starts
      const second = await restarting;
      try {
        assertEquals((await read)?.n, 1);
        await db.insert("orders", { n: 2 });
        assertEquals((await db.scan("orders")).length, 2);
      } finally {
        db.close();
        await second.stop();
      }
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
