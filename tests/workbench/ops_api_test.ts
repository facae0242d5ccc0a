/**
 * The workbench's operations API over real HTTP: schedules (list, add, edit with the next runs,
 * run now, enable/disable, history, remove), backups (take online, list, verify, restore into a
 * new directory that then opens with the same documents, download as a tar), replication status,
 * the live change stream (SSE from the engine's watch: store and filter, ended on logout and on
 * shutdown) and an index's backfill progress; read-only users refused on each admin action.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { openDatabase } from "../../engine/db/database.ts";
import { Store } from "../../engine/db/store.ts";
import { basic, withWorkbench } from "./workbench_server.ts";

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, body: await response.json() };
}

/** Reads SSE events from a response until `stop` says so; returns them as [event, data]. */
async function readEvents(
  response: Response,
  stop: (events: [string, Record<string, unknown>][]) => boolean,
): Promise<[string, Record<string, unknown>][]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: [string, Record<string, unknown>][] = [];
  let buffer = "";
  while (!stop(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push([event, JSON.parse(data)]);
    }
  }
  await reader.cancel();
  return events;
}

Deno.test("workbench ops API: schedules — add, edit cron with preview, run now, enable/disable, history, remove", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const admin = basic("admin", adminKey);
    const list = await call(base, "GET", "/api/schedules", admin);
    assertEquals(list.status, 200);
    const nightly = list.body.schedules.find((s: { name: string }) => s.name === "nightly-backup");
    assert(nightly !== undefined && nightly.next.length === 3, JSON.stringify(list.body));
    const preview = await call(base, "GET", "/api/schedules/preview?cron=0%203%20*%20*%20*&count=4", admin);
    assertEquals(preview.body.next.length, 4);
    assert(
      preview.body.next.every((t: string) => t.endsWith("T03:00:00.000Z")),
      JSON.stringify(preview.body),
    );
    const bad = await call(base, "GET", "/api/schedules/preview?cron=nope", admin);
    assertEquals([bad.status, bad.body.error, bad.body.field], [400, "invalid_argument", "cron"]);
    const added = await call(base, "POST", "/api/schedules", admin, {
      name: "stats",
      task: "stats-snapshot",
      cron: "0 * * * *",
    });
    assertEquals(added.status, 201, JSON.stringify(added.body));
    const edited = await call(base, "PUT", "/api/schedules/stats", admin, { cron: "*/5 * * * *" });
    assertEquals([edited.status, edited.body.cron], [200, "*/5 * * * *"]);
    assert(new Date(edited.body.nextRunAt).getUTCMinutes() % 5 === 0);
    const badEdit = await call(base, "PUT", "/api/schedules/stats", admin, { cron: "61 * * * *" });
    assertEquals([badEdit.status, badEdit.body.field], [400, "cron"]);
    const run = await call(base, "POST", "/api/schedules/stats/run", admin);
    assertEquals([run.status, run.body.result], [200, "ok"], JSON.stringify(run.body));
    const off = await call(base, "POST", "/api/schedules/stats/disable", admin);
    assertEquals([off.body.enabled, off.body.nextRunAt], [false, null]);
    assertEquals((await call(base, "POST", "/api/schedules/stats/enable", admin)).body.enabled, true);
    const runs = await call(base, "GET", "/api/schedules/history?name=stats", admin);
    assertEquals(runs.body.runs.length, 1);
    assertEquals(runs.body.runs[0].trigger, "manual");
    const viewer = await call(base, "POST", "/api/users", admin, { user: "viewer", role: "read_only" });
    const ro = basic("viewer", viewer.body.key);
    for (const [method, path] of [["GET", "/api/schedules"], ["POST", "/api/schedules/stats/run"]]) {
      const refused = await call(base, method, path, ro);
      assertEquals([refused.status, refused.body.error], [403, "forbidden"], path);
    }
    assertEquals((await call(base, "DELETE", "/api/schedules/stats", admin)).body.removed, true);
    assertEquals((await call(base, "POST", "/api/schedules/stats/run", admin)).status, 404);
  });
});

Deno.test("workbench ops API: backups — take online, list, verify, restore opens with the data, download", async () => {
  await withWorkbench(async ({ base, adminKey, dataDir }) => {
    const admin = basic("admin", adminKey);
    await call(base, "POST", "/api/stores", admin, { name: "items" });
    for (let n = 0; n < 20; n++) await call(base, "POST", "/api/stores/items/documents", admin, { n });
    const taken = await call(base, "POST", "/api/backups", admin);
    assertEquals(taken.status, 201, JSON.stringify(taken.body));
    assert(/^planck-\d{8}T\d{6}Z-lsn\d+\.tar$/.test(taken.body.name));
    const list = await call(base, "GET", "/api/backups", admin);
    assertEquals(list.body.backups.map((b: { name: string }) => b.name), [taken.body.name]);
    const verified = await call(base, "POST", `/api/backups/${taken.body.name}/verify`, admin);
    assertEquals([verified.status, verified.body.ok], [200, true], JSON.stringify(verified.body));
    assertEquals((await call(base, "GET", "/api/backups", admin)).body.backups[0].verified.ok, true);
    const target = `${dataDir}-restored`;
    try {
      const own = await call(base, "POST", `/api/backups/${taken.body.name}/restore`, admin, {
        target: dataDir,
      });
      assertEquals([own.status, own.body.field], [400, "target"]);
      const restored = await call(base, "POST", `/api/backups/${taken.body.name}/restore`, admin, { target });
      assertEquals(restored.status, 200, JSON.stringify(restored.body));
      const db = await openDatabase(target);
      try {
        assertEquals(new Store(db, "items").scan({ limit: 100 }).length, 20);
      } finally {
        await db.close();
      }
      const again = await call(base, "POST", `/api/backups/${taken.body.name}/restore`, admin, { target });
      assertEquals(again.status, 409);
    } finally {
      await Deno.remove(target, { recursive: true }).catch(() => {});
    }
    const download = await fetch(`${base}/api/backups/${taken.body.name}/download`, { headers: admin });
    assertEquals(download.headers.get("content-type"), "application/x-tar");
    const tar = new Uint8Array(await download.arrayBuffer());
    assertEquals(new TextDecoder().decode(tar.subarray(257, 262)), "ustar");
    assertEquals(tar.length, list.body.backups[0].bytes);
    const traversal = await call(base, "GET", "/api/backups/..%2Fadmin.credentials/download", admin);
    assertEquals([traversal.status, traversal.body.field], [400, "name"]);
    const viewer = await call(base, "POST", "/api/users", admin, { user: "viewer", role: "read_only" });
    const refused = await call(base, "POST", "/api/backups", basic("viewer", viewer.body.key));
    assertEquals(refused.status, 403);
    await Deno.remove(`${dataDir}-backups`, { recursive: true });
  });
});

Deno.test("workbench ops API: replication status, index backfill progress", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const admin = basic("admin", adminKey);
    const status = await call(base, "GET", "/api/replication", admin);
    assertEquals([status.status, status.body.role], [200, "primary"]);
    assertEquals(status.body.replicas, []);
    await call(base, "POST", "/api/stores", admin, { name: "big" });
    const docs = Array.from({ length: 3000 }, (_, n) => ({ op: "insert", store: "big", doc: { n } }));
    for (let i = 0; i < docs.length; i += 500) {
      await Promise.all(
        docs.slice(i, i + 500).map((d) => call(base, "POST", "/api/stores/big/documents", admin, d.doc)),
      );
    }
    const created = await call(base, "POST", "/api/stores/big/indexes", admin, {
      name: "by_n",
      fields: [{ path: "n", direction: "asc" }],
      wait: false,
    });
    assert(created.status === 202 || created.status === 201, JSON.stringify(created.body));
    for (;;) {
      const list = await call(base, "GET", "/api/stores/big/indexes", admin);
      const index = list.body.indexes[0];
      if (index.state === "ready") {
        assertEquals(index.progress, undefined);
        break;
      }
      const p = index.progress;
      assert(p === undefined || p.total === null || (p.total === 3000 && p.done <= 3000), JSON.stringify(p));
    }
    const bad = await call(base, "POST", "/api/stores/big/indexes", admin, {
      name: "by_n",
      fields: [{ path: "n", direction: "desc" }],
      wait: false,
    });
    assertEquals(bad.status, 409);
  });
});

Deno.test("workbench ops API: live change stream of a store and a filter, ended on logout and shutdown", async () => {
  let pending: Promise<[string, Record<string, unknown>][]> | undefined;
  await withWorkbench(async ({ base, adminKey }) => {
    const admin = basic("admin", adminKey);
    await call(base, "POST", "/api/stores", admin, { name: "orders" });
    const refused = await call(base, "GET", "/api/watch/check?store=orders&filter=amount%20%3E", admin);
    assertEquals([refused.status, refused.body.ok, refused.body.error], [200, false, "invalid_argument"]);
    assertEquals((await call(base, "GET", "/api/watch/check?store=orders", admin)).body, { ok: true });
    assert(refused.body.line === 1 && typeof refused.body.column === "number");
    const stream = await fetch(`${base}/api/watch?store=orders&filter=${encodeURIComponent("amount > 10")}`, {
      headers: admin,
    });
    assertEquals(stream.headers.get("content-type"), "text/event-stream");
    const events = readEvents(stream, (e) => e.length >= 4);
    await call(base, "POST", "/api/stores/orders/documents", admin, { amount: 5 });
    const b = (await call(base, "POST", "/api/stores/orders/documents", admin, { amount: 50 })).body.key;
    assertEquals(
      (await call(base, "PUT", `/api/stores/orders/documents/${b}`, admin, { amount: 60 })).status,
      200,
    );
    assertEquals(
      (await call(base, "PUT", `/api/stores/orders/documents/${b}`, admin, { amount: 1 })).status,
      200,
    );
    const seen = await events;
    assertEquals(seen[0][0], "ready");
    assertEquals(seen.slice(1).map(([e, d]) => [e, d.op, d.key]), [
      ["change", "enter", b],
      ["change", "update", b],
      ["change", "leave", b],
    ]);
    assertEquals((seen[2][1].doc as Record<string, unknown>).amount, 60);

    // a browser session's stream ends on its logout
    const login = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ user: "admin", key: adminKey }),
      redirect: "manual",
    });
    await login.body?.cancel();
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const pageText = await (await fetch(`${base}/live`, { headers: { cookie } })).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(pageText)![1];
    const mine = await fetch(`${base}/api/watch?store=orders`, { headers: { cookie } });
    const ended = readEvents(mine, (e) => e.some(([name]) => name === "end"));
    const out = await fetch(`${base}/logout`, { method: "POST", headers: { cookie, "x-csrf-token": csrf } });
    await out.body?.cancel();
    const last = (await ended).at(-1)!;
    assertEquals([last[0], last[1].reason], ["end", "logout"]);

    // and every stream ends when the server stops
    const open = await fetch(`${base}/api/watch?store=orders`, { headers: admin });
    pending = readEvents(open, (e) => e.some(([name]) => name === "end"));
  });
  const last = (await pending!).at(-1)!;
  assertEquals([last[0], last[1].reason], ["end", "shutdown"]);
});
