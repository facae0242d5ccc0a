/**
 * The wire `watch` op through a real server and the client's iterators: store, key and filter
 * watches yield the engine's events; a subscription without credit is cut off with
 * `slow_consumer` and a resumable LSN while another on the same connection keeps receiving; roles
 * decide who may watch what; bad fields are `invalid_argument` naming the field; a dropped store
 * ends the stream; `break` cancels.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { ClientError, connect, type PlanckClient, where } from "../../mod.ts";
import { WATCH_BUFFER_EVENTS_MAX } from "../../host/limits.ts";
import { RawWire, withServer } from "../host/test_server.ts";

async function take<T>(events: AsyncIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < count) {
    const next = await events.next();
    assert(next.done !== true, `the watch ended after ${out.length} of ${count} events`);
    out.push(next.value);
  }
  return out;
}

async function codeOf(fn: () => Promise<unknown>): Promise<{ code: string; field?: string }> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ClientError) return { code: error.code, field: error.details.field };
    throw error;
  }
  return { code: "ok" };
}

function as(admin: string, user: string, key: string): string {
  return admin.replace("uid=admin", `uid=${user}`).replace(/key=[^;]+/, `key=${key}`);
}

Deno.test("client watches over the wire: store, key, snapshot, filter and every store", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const orders = db.store<{ status: string; n: number }>("orders");
      const { inserted: [a] } = await orders.insert({ status: "open", n: 1 });
      const all = db.store("orders").watch();
      const one = db.store("orders").watch({ key: a });
      const open = orders.filter(where("status").eq("open")).watch({ snapshot: true });
      const everything = db.watch();
      const { inserted: [b] } = await orders.insert({ status: "open", n: 2 });
      await db.batch([{ op: "update", store: "orders", key: a, set: { status: "paid" } }]);
      await db.delete("orders", b);
      await db.insert("other", { x: 1 });
      assertEquals((await take(all, 3)).map((e) => [e.op, e.key]), [["insert", b], ["update", a], [
        "delete",
        b,
      ]]);
      const [u] = await take(one, 1);
      assertEquals([u.op, u.doc?.status], ["update", "paid"]);
      assertEquals(
        (await take(open, 4)).map((e) => [e.op, e.key]),
        [["snapshot", a], ["enter", b], ["leave", a], ["leave", b]],
      );
      assertEquals((await take(everything, 4)).map((e) => e.store), ["orders", "orders", "orders", "other"]);
      for (const it of [all, one, open, everything]) await it.return?.();
      const count = (await db.stats()) as { server: unknown };
      assert(count.server !== undefined);
    } finally {
      db.close();
    }
  });
});

Deno.test("slow consumer: cut off with a resumable LSN while another subscription keeps receiving", async () => {
  await withServer(async ({ admin, port }) => {
    const db = await connect(admin);
    const raw = await RawWire.open(port);
    try {
      await db.request("createStore", { store: "s" });
      await raw.authenticate(admin);
      await raw.send({ id: 10, op: "watch", store: "s", credit: 1 });
      await raw.send({ id: 11, op: "watch", store: "s", credit: 65_536 });
      const total = WATCH_BUFFER_EVENTS_MAX + 100;
      const ops = Array.from(
        { length: total },
        (_, n) => ({ op: "insert" as const, store: "s", doc: { n } }),
      );
      let slow: { lsn: number; sent: number } | null = null;
      const fast: number[] = [];
      let started = 0;
      let slowSent = 0;
      let lastSlowLsn = 0;
      while (slow === null || fast.length < total) {
        const frame = (await raw.read())!;
        assert(frame !== null, "the server closed the connection");
        if (frame.more === true && (frame.result as { op?: string }).op === undefined) {
          if (++started === 2) await db.batch(ops); // both subscriptions are open
          continue;
        }
        const result = frame.result as { lsn: number; doc: { n: number } };
        if (frame.id === 11) {
          assertEquals(frame.more, true, JSON.stringify(frame));
          fast.push(result.doc.n);
        } else if (frame.ok === true) {
          slowSent++;
          lastSlowLsn = result.lsn;
        } else {
          const error = frame.error as { code: string; lsn: bigint; limit: string };
          assertEquals([error.code, error.limit], ["slow_consumer", "WATCH_BUFFER_EVENTS_MAX"]);
          slow = { lsn: Number(error.lsn), sent: slowSent };
        }
      }
      assertEquals(
        fast,
        Array.from({ length: total }, (_, n) => n),
        "the other subscription got every event",
      );
      assertEquals(slow.sent, 1);
      assertEquals(slow.lsn, lastSlowLsn, "the LSN to resume from is the last event sent");
      // Resuming from it yields exactly the rest.
      const rest = await take(db.store("s").watch({ since: slow.lsn }), total - 1);
      assertEquals(
        rest.map((e) => (e.doc as { n: number }).n),
        Array.from({ length: total - 1 }, (_, n) => n + 1),
      );
      // The cut-off subscription's id is free again; the connection still serves.
      assertEquals((await raw.call({ id: 10, op: "ping" })).ok, true);
    } finally {
      raw.close();
      db.close();
    }
  });
});

Deno.test("watch obeys roles: system stores and every-store watches are admin only", async () => {
  await withServer(async ({ admin }) => {
    const root = await connect(admin);
    let reader: PlanckClient | undefined;
    try {
      await root.insert("data", { x: 1 });
      reader = await connect(as(admin, "reader", await root.users.create("reader", "read_only")));
      assertEquals((await codeOf(() => reader!.store("sysusers").watch().next())).code, "forbidden");
      assertEquals((await codeOf(() => reader!.watch().next())).code, "forbidden");
      const events = reader.store("data").watch();
      const first = events.next();
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the watch open before the write
      await root.insert("data", { x: 2 });
      assertEquals((await first).value?.op, "insert");
      // Dropping the user ends its watch with unauthorized.
      const next = events.next();
      await root.users.drop("reader");
      await root.insert("data", { x: 3 });
      assertEquals((await codeOf(() => next)).code, "unauthorized");
    } finally {
      reader?.close();
      root.close();
    }
  });
});

Deno.test("every-store watch with snapshot over the wire: documents of every store at one LSN, then changes", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const { inserted: [a] } = await db.store("a").insert({ n: 1 });
      const { inserted: [b] } = await db.store("b").insert({ n: 2 });
      const everything = db.watch({ snapshot: true });
      const first = await everything.next();
      const { inserted: [c] } = await db.store("a").insert({ n: 3 });
      const seen = [first.value];
      while (seen.at(-1)?.key !== c) seen.push((await everything.next()).value);
      const snapshot = seen.filter((e) => e.op === "snapshot");
      assertEquals(new Set(snapshot.map((e) => e.lsn)).size, 1, "one snapshot LSN");
      const mine = snapshot.filter((e) => e.store === "a" || e.store === "b").map((e) => [e.store, e.key]);
      assertEquals(mine, [["a", a], ["b", b]]);
      const after = seen.slice(snapshot.length);
      assert(after.every((e) => e.op !== "snapshot"), "the snapshot comes first");
      assertEquals(after.filter((e) => e.store === "a").map((e) => [e.op, e.key]), [["insert", c]]);
      assert(after.every((e) => e.lsn > snapshot[0].lsn), "changes come after the snapshot's LSN");
      await everything.return?.();
      const refused = await codeOf(() => db.request("watch", { snapshot: true, since: 0 }));
      assertEquals([refused.code, refused.field], ["invalid_argument", "snapshot"]);
    } finally {
      db.close();
    }
  });
});

Deno.test("bad watch requests are invalid_argument naming the field; the connection stays", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      await db.insert("s", { v: 1 });
      const cases: [Record<string, unknown>, string, string][] = [
        [{ store: "s", key: "1".repeat(32), from: "0".repeat(32) }, "invalid_argument", "key"],
        [{ store: "s", key: "xyz" }, "invalid_argument", "key"],
        [{ store: "s", since: -1 }, "invalid_argument", "since"],
        [{ store: "s", since: 1e12 }, "invalid_argument", "since"],
        [{ store: "s", since: "yesterday" }, "invalid_argument", "since"],
        [{ store: "s", snapshot: true, since: 0 }, "invalid_argument", "snapshot"],
        [{ store: "s", filter: { field: "v", op: "nope", value: 1 } }, "invalid_argument", "filter.op"],
        [{ store: "s", filter: { field: "v", op: "eq", value: 1 }, since: 0 }, "invalid_argument", "since"],
        [{ store: "s", matching: [] }, "invalid_argument", "matching"],
        [{ store: "s", credit: 0 }, "invalid_argument", "credit"],
        [{ store: "s", colour: "red" }, "invalid_argument", "colour"],
        [{ key: "1".repeat(32) }, "invalid_argument", "key"],
        [{ store: "missing" }, "not_found", "store"],
      ];
      for (const [fields, code, field] of cases) {
        const got = await codeOf(() => db.request("watch", fields));
        assertEquals([got.code, got.field], [code, field], JSON.stringify(fields));
      }
      assertEquals((await codeOf(() => db.request("credit", { target: 77, credit: 1 }))).code, "not_found");
      assertEquals(await db.request("cancel", { target: 77 }), { cancelled: false });
      await db.ping();
    } finally {
      db.close();
    }
  });
});

Deno.test("a dropped store ends the stream; cancel sends done first; break cancels", async () => {
  await withServer(async ({ admin, port }) => {
    const db = await connect(admin);
    const raw = await RawWire.open(port);
    try {
      await db.insert("doomed", { x: 1 });
      const events = db.store("doomed").watch();
      const ended = events.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await db.request("dropStore", { store: "doomed" });
      assertEquals((await ended).done, true);

      await db.insert("kept", { x: 1 });
      await raw.authenticate(admin);
      assertEquals((await raw.call({ id: 5, op: "watch", store: "kept" })).more, true);
      await raw.send({ id: 6, op: "cancel", target: 5 });
      const done = (await raw.read())!;
      assertEquals([done.id, done.done, (done.result as { reason: string }).reason], [5, true, "cancelled"]);
      assertEquals(((await raw.read())!.result as { cancelled: boolean }).cancelled, true);

      for await (const event of db.store("kept").watch({ since: 0 })) {
        assertEquals(event.op, "insert");
        break; // cancels the subscription
      }
      await db.ping();
    } finally {
      raw.close();
      db.close();
    }
  });
});

Deno.test("the client's iterator resumes by itself after slow_consumer: every event, in order, once", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      await db.request("createStore", { store: "burst" });
      const events = db.store("burst").watch();
      const total = WATCH_BUFFER_EVENTS_MAX + 1_000; // more than the client's credit plus the server's buffer
      const ops = Array.from(
        { length: total },
        (_, n) => ({ op: "insert" as const, store: "burst", doc: { n } }),
      );
      await db.batch(ops); // the iterator is not being read: the server cuts the subscription off
      await new Promise((resolve) => setTimeout(resolve, 200));
      const got = await take(events, total);
      assertEquals(got.map((e) => (e.doc as { n: number }).n), Array.from({ length: total }, (_, n) => n));
      await events.return?.();
    } finally {
      db.close();
    }
  });
});

Deno.test("a snapshot over the wire under concurrent writes: snapshot + changes = final contents", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    const writer = await connect(admin);
    try {
      const key = (i: number) => (i % 30 + 1).toString(16).padStart(32, "0");
      for (let i = 0; i < 30; i++) await writer.put("snap", key(i), { v: i });
      let stop = false;
      const writing = (async () => {
        for (let i = 0; !stop || i < 60; i++) {
          if (i % 5 === 4) await writer.delete("snap", key(i * 7));
          else await writer.put("snap", key(i * 7), { v: 100 + i });
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const events = db.store("snap").watch({ snapshot: true });
      stop = true;
      await writing;
      const sentinel = await writer.put("snap", "f".repeat(32), { end: true });
      const view = new Map<string, unknown>();
      let snapshotLsn = -1;
      let last = -1;
      for await (const event of events) {
        if (event.op === "snapshot") {
          assert(!view.has(event.key), `snapshot key ${event.key} twice`);
          snapshotLsn = event.lsn;
        } else assert(event.lsn > Math.max(last, snapshotLsn), "changes come after the snapshot, in order");
        if (event.op !== "snapshot") last = event.lsn;
        if (event.op === "delete") view.delete(event.key);
        else view.set(event.key, event.doc);
        if (event.key === sentinel) break;
      }
      assert(snapshotLsn > 0, "a snapshot came first");
      const rows = await db.scan<Record<string, unknown>>("snap", { limit: 1_000 });
      assertEquals(view, new Map(rows.map(({ key, ...doc }) => [key, doc])));
    } finally {
      writer.close();
      db.close();
    }
  });
});
