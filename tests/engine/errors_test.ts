/**
 * Operating errors reach callers as PlanckError with a stable code and a message naming the bad
 * value: limits, bad keys and names, missing stores and documents, conflicts, batch atomicity, and a
 * full disk (an injected ENOSPC and a real full tmpfs).
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { FaultyFs } from "../_util/faulty_fs.ts";
import { crashImage, walFiles, withDatabase, withTempDatabase, withTempDir } from "../_util/temp_db.ts";
import { type Database, type DatabaseOptions, openDatabase } from "../../engine/db/database.ts";
import { diskError } from "../../engine/disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { DOC_BYTES_MAX, STORE_NAME_BYTES_MAX, WAL_SEGMENT_BYTES_MIN } from "../../engine/limits.ts";
import { batch, Store } from "../../engine/db/store.ts";

async function docsStore(db: Database): Promise<Store> {
  await db.createStore("docs");
  return new Store(db, "docs");
}

Deno.test("Store.insert of a document over DOC_BYTES_MAX fails with limit_exceeded naming limit and size", async () => {
  await withTempDatabase(async (db) => {
    const store = await docsStore(db);
    const error = await assertRejectsCode(
      () => store.insert({ big: "x".repeat(DOC_BYTES_MAX) }),
      "limit_exceeded",
      "DOC_BYTES_MAX",
    );
    assert(error.message.includes(`${DOC_BYTES_MAX + 15} bytes`), error.message);
    assert(error.message.includes(`${DOC_BYTES_MAX} bytes`), error.message);
    assertEquals(error.location?.limit, "DOC_BYTES_MAX");
    const raw = new Uint8Array(DOC_BYTES_MAX + 1);
    new DataView(raw.buffer).setInt32(0, raw.length, true);
    await assertRejectsCode(() => store.put(1n, raw), "limit_exceeded", `${DOC_BYTES_MAX + 1} bytes`);
    assertEquals(store.scan(), [], "nothing was written");
  });
});

Deno.test("Store operations reject a bad key or document with invalid_argument", async () => {
  await withTempDatabase(async (db) => {
    const store = await docsStore(db);
    await assertRejectsCode(() => store.get("xyz"), "invalid_argument", '"xyz"');
    await assertRejectsCode(() => store.put("0x", { a: 1 }), "invalid_argument", '"0x"');
    await assertRejectsCode(() => store.insert({ a: 1 }, { key: -1n }), "invalid_argument", "-1");
    await assertRejectsCode(() => store.delete(new Uint8Array(3)), "invalid_argument", "got 3");
    for (const doc of [null, 42, "text", [1, 2], new Date(0)]) {
      await assertRejectsCode(() => store.put(1n, doc as never), "invalid_argument", "expected an object");
    }
    await assertRejectsCode(() => store.put(1n, new Uint8Array([1, 2, 3])), "invalid_argument", "not a BSON");
    await store.put(1n, { a: 1 });
    await assertRejectsCode(() => store.update(1n, null as never), "invalid_argument", "update");
    assertEquals(store.get(1n), { a: 1 });
  });
});

Deno.test("Operations on an unknown store fail with not_found naming the store", async () => {
  await withTempDatabase(async (db) => {
    await assertRejectsCode(() => new Store(db, "ghost"), "not_found", '"ghost"');
    await assertRejectsCode(() => db.dropStore("ghost"), "not_found", '"ghost"');
    await assertRejectsCode(
      () => batch(db, [{ op: "put", store: "ghost", key: 1n, doc: {} }]),
      "not_found",
      '"ghost"',
    );
    const store = await docsStore(db);
    await db.dropStore("docs");
    await assertRejectsCode(() => store.put(1n, {}), "not_found", '"docs"');
  });
});

Deno.test("Store.insert of an existing key fails with conflict; replace and update of a missing key with not_found", async () => {
  await withTempDatabase(async (db) => {
    const store = await docsStore(db);
    await store.insert({ v: 1 }, { key: 7n });
    const conflict = await assertRejectsCode(
      () => store.insert({ v: 2 }, { key: 7n }),
      "conflict",
      "already exists",
    );
    assert(
      conflict.message.includes(`"${"0".repeat(31)}7"`) && conflict.message.includes('"docs"'),
      conflict.message,
    );
    await assertRejectsCode(() => store.replace(8n, { v: 1 }), "not_found", '"docs"');
    await assertRejectsCode(() => store.update(8n, { v: 1 }), "not_found", `${"0".repeat(31)}8`);
    await store.delete(7n);
    await assertRejectsCode(() => store.replace(7n, { v: 1 }), "not_found", "No document");
    assertEquals(store.scan(), []);
  });
});

Deno.test("Database.createStore rejects invalid and reserved names with invalid_argument", async () => {
  await withTempDatabase(async (db) => {
    const invalid = ["", "1abc", "a-b", "a b", "a.b", "é", "x".repeat(STORE_NAME_BYTES_MAX + 1), 42, null];
    for (const name of invalid) {
      await assertRejectsCode(() => db.createStore(name as string), "invalid_argument", `Invalid store name`);
    }
    for (const name of ["sys", "system", "SysLog", "SYS_x"]) {
      await assertRejectsCode(
        () => db.createStore(name),
        "invalid_argument",
        `"${name}": names starting with "sys"`,
      );
    }
    assertEquals(await db.createStore("x".repeat(STORE_NAME_BYTES_MAX)), true);
    assertEquals(await db.createStore("_a1"), true);
    assertEquals(await db.createStore("sys_jobs", { system: true }), true, "the system may use sys names");
    assertEquals(await db.createStore("sync_state"), true, "only the sys prefix is reserved, not sy");
  });
});

Deno.test("batch writes nothing when its third operation fails", async () => {
  await withTempDatabase(async (db) => {
    const store = await docsStore(db);
    await store.put(1n, { v: 1 });
    const lsn = db.lastLsn;
    const failures: [string, Parameters<typeof batch>[1][number]][] = [
      ["not_found", { op: "replace", store: "docs", key: 99n, doc: {} }],
      ["conflict", { op: "insert", store: "docs", key: 1n, doc: {} }],
      ["conflict", { op: "insert", store: "docs", key: 2n, doc: {} }], // inserted by op 1 of this batch
      ["invalid_argument", { op: "put", store: "docs", key: "bad", doc: {} }],
      ["not_found", { op: "put", store: "ghost", key: 3n, doc: {} }],
      ["limit_exceeded", { op: "put", store: "docs", key: 3n, doc: { big: "x".repeat(DOC_BYTES_MAX) } }],
    ];
    for (const [code, third] of failures) {
      await assertRejectsCode(() =>
        batch(db, [
          { op: "insert", store: "docs", key: 2n, doc: { v: 2 } },
          { op: "update", store: "docs", key: 1n, set: { changed: true } },
          third,
        ]), code);
      assertEquals(store.scan().map((r) => r.doc), [{ v: 1 }], `nothing written (${code})`);
      assertEquals(db.lastLsn, lsn, "no WAL group was appended");
    }
  });
});

Deno.test("Database operations after close fail with unavailable", async () => {
  await withTempDir(async (dir) => {
    const db = await openDatabase(dir);
    const store = await docsStore(db);
    await db.close();
    await assertRejectsCode(() => store.put(1n, {}), "unavailable", "closed");
    await assertRejectsCode(() => db.createStore("x"), "unavailable");
    await db.close(); // idempotent
  });
});

Deno.test("diskError maps ENOSPC to disk_full and other failures to internal", () => {
  const full = diskError(
    Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" }),
    "f",
    "write",
  );
  assertEquals([full.code, full.message, full.location.file], [
    "disk_full",
    'Cannot write "f": the disk is full',
    "f",
  ]);
  assertEquals(
    diskError(Object.assign(new Error("boom"), { code: "ENOSPC" }), "f", "write").code,
    "disk_full",
  );
  const other = diskError(new Error("Permission denied (os error 13)"), "f", "write");
  assertEquals([other.code, other.message], [
    "internal",
    'Cannot write "f": Permission denied (os error 13)',
  ]);
  assert(other instanceof PlanckError);
});

// Disk full. Every test checks the same properties: the failed write gets disk_full, reads still
// work, and a crash image and a reopen hold every acknowledged write and not the failed one, with a
// clean WAL (no torn tail: the writer cut the partial group back).

/** Writes `count` documents {i} under keys `from`.. and returns the keys. */
async function writeDocs(store: Store, from: number, count: number, padBytes = 100): Promise<bigint[]> {
  const keys: bigint[] = [];
  for (let i = from; i < from + count; i++) {
    await store.put(BigInt(i), { i, pad: "p".repeat(padBytes) });
    keys.push(BigInt(i));
  }
  return keys;
}

/** Opens `dir` and checks it holds exactly the documents under `keys` in store "docs", with a clean WAL. */
async function expectExactly(dir: string, keys: bigint[], options: DatabaseOptions = {}): Promise<void> {
  await withDatabase(dir, options, (db) => {
    assertEquals(db.recovery.tornTail, null, `${dir}: the WAL has no torn tail`);
    assertEquals(db.recovery.lost, null);
    const found = new Store(db, "docs").scan().map((r) => BigInt(r.doc.i as number));
    assertEquals(found, keys);
  });
}

for (const partialWrites of [false, true]) {
  Deno.test(`Store.put fails with disk_full on ENOSPC${partialWrites ? " after a partial write" : ""} and keeps the WAL consistent`, async () => {
    await withTempDir(async (dir) => {
      const fs = new FaultyFs();
      fs.partialWrites = partialWrites;
      const db = await openDatabase(`${dir}/db`, { fs, walPreallocateBytes: 0 });
      let acknowledged: bigint[] = [];
      try {
        const store = await docsStore(db);
        acknowledged = await writeDocs(store, 0, 10);
        const [segment] = walFiles(`${dir}/db`);
        const sizeBefore = Deno.statSync(segment).size;
        fs.budgetBytes = 60; // less than the next group: a partial write leaves 60 bytes, then ENOSPC
        const error = await assertRejectsCode(
          () => store.put(100n, { i: 100 }),
          "disk_full",
          "the disk is full",
        );
        assertEquals(error.location?.file, segment);
        assert(error.message.includes(`"${segment}"`), error.message);
        assertEquals(Deno.statSync(segment).size, sizeBefore, "the partial group was cut back");
        assertEquals(store.get(100n), undefined, "the failed write is not visible");
        assertEquals(store.get(3n)?.i, 3, "reads still work");
        assertEquals(store.scan().length, 10);
        await assertRejectsCode(() => store.put(101n, { i: 101 }), "disk_full");
        await crashImage(db, `${dir}/image`);
        fs.budgetBytes = Infinity; // space freed: writes work again
        acknowledged.push(...await writeDocs(store, 200, 2));
      } finally {
        await db.close();
      }
      await expectExactly(`${dir}/image`, acknowledged.slice(0, 10));
      await expectExactly(`${dir}/db`, acknowledged);
    });
  });
}

Deno.test("Store.put fails with disk_full when a new WAL segment cannot be created", async () => {
  await withTempDir(async (dir) => {
    const fs = new FaultyFs();
    const options = { fs, walSegmentBytes: WAL_SEGMENT_BYTES_MIN };
    const db = await openDatabase(`${dir}/db`, { walPreallocateBytes: 0, ...options });
    let acknowledged: bigint[] = [];
    try {
      const store = await docsStore(db);
      acknowledged = await writeDocs(store, 0, 20, 3000);
      assertEquals(walFiles(`${dir}/db`).length, 1);
      fs.budgetBytes = 0; // the next group needs a new segment: its header write fails
      const next = BigInt(acknowledged.length);
      let error: PlanckError | undefined;
      for (let i = next; error === undefined && i < next + 40n; i++) {
        try {
          await store.put(i, { i: Number(i), pad: "p".repeat(3000) });
        } catch (caught) {
          error = caught as PlanckError;
        }
      }
      assertEquals(error?.code, "disk_full");
      assertEquals(walFiles(`${dir}/db`).length, 1, "no half-created segment is left behind");
      assertEquals(store.scan().length, acknowledged.length);
      fs.budgetBytes = Infinity;
      acknowledged.push(...await writeDocs(store, 1000, 30, 3000));
      assertEquals(walFiles(`${dir}/db`).length >= 2, true, "rotation works again");
      await crashImage(db, `${dir}/image`);
    } finally {
      await db.close();
    }
    await expectExactly(`${dir}/image`, acknowledged, { walSegmentBytes: WAL_SEGMENT_BYTES_MIN });
    await expectExactly(`${dir}/db`, acknowledged);
  });
});

/** True when this process may mount a tmpfs (root in a permissive container or CI). */
function canMountTmpfs(): boolean {
  if (Deno.build.os !== "linux") return false;
  let dir: string | undefined;
  try {
    if (Deno.uid() !== 0) return false;
    dir = Deno.makeTempDirSync({ prefix: "planck_mount_probe_" });
    const mounted = new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir] })
      .outputSync();
    if (!mounted.success) return false;
    new Deno.Command("umount", { args: [dir] }).outputSync();
    return true;
  } catch {
    return false;
  } finally {
    if (dir !== undefined) Deno.removeSync(dir, { recursive: true });
  }
}

function run(command: string, args: string[]): void {
  const result = new Deno.Command(command, { args, stderr: "piped" }).outputSync();
  if (!result.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(result.stderr)}`);
  }
}

Deno.test({
  name: "Store.put fails with disk_full on a real full tmpfs and every acknowledged write survives",
  ignore: !canMountTmpfs(), // needs root and mount(2): skipped where tmpfs cannot be mounted
  fn: async () => {
    await withTempDir(async (dir) => {
      const mountPoint = `${dir}/tmpfs`;
      Deno.mkdirSync(mountPoint);
      run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]);
      try {
        const db = await openDatabase(`${mountPoint}/db`);
        const acknowledged: bigint[] = [];
        try {
          const store = await docsStore(db);
          let error: PlanckError | undefined;
          for (let i = 0; error === undefined && i < 1000; i++) {
            try {
              await store.put(BigInt(i), { i, pad: "p".repeat(8000) });
              acknowledged.push(BigInt(i));
            } catch (caught) {
              error = caught as PlanckError;
            }
          }
          assertEquals(error?.code, "disk_full", `${error?.message}`);
          assert(acknowledged.length > 10, `${acknowledged.length} writes before the disk filled`);
          assertEquals(store.get(acknowledged[5])?.i, 5, "reads still work");
          assertEquals(store.get(BigInt(acknowledged.length)), undefined, "the failed write is not visible");
          await crashImage(db, `${dir}/image`);
        } finally {
          await db.close().catch(() => {}); // the closing flush may itself hit the full disk
        }
        await expectExactly(`${dir}/image`, acknowledged);
        run("mount", ["-o", "remount,size=16m", mountPoint]); // the operator frees space
        await expectExactly(`${mountPoint}/db`, acknowledged);
      } finally {
        run("umount", [mountPoint]);
      }
    });
  },
});
