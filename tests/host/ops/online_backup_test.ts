/**
 * Online backup under concurrent writes: the backup restores to exactly the state at its LSN,
 * document by document against the writers' own record of what they committed at which LSN; the
 * directory and tar forms verify; a corrupt byte fails verify naming the file.
 */
import { BSON } from "bson";
import { openDatabase } from "../../../engine/db/database.ts";
import { batch } from "../../../engine/db/store.ts";
import { backupSource, databaseSource, restoreBackup, verifyBackup } from "../../../host/ops/mod.ts";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const STORES = ["a", "b"];
const KEYS = 300;

interface Committed {
  lsn: number;
  store: string;
  key: string;
  doc: Uint8Array | null;
}

/** Writes until `stop()`; every commit is recorded with its LSN. */
function startWriter(db: Awaited<ReturnType<typeof openDatabase>>, seed: number, log: Committed[]) {
  const random = seededRandom(seed);
  let running = true;
  const done = (async () => {
    let n = 0;
    while (running) {
      const store = STORES[Math.floor(random() * STORES.length)];
      const key = (Math.floor(random() * KEYS) + 1).toString(16).padStart(32, "0");
      if (random() < 0.2) {
        const { lsn } = await batch(db, [{ op: "delete", store, key }]);
        if (lsn > 0) log.push({ lsn, store, key, doc: null });
      } else {
        const doc = BSON.serialize({ n: n++, seed, pad: "x".repeat(Math.floor(random() * 400)) });
        const { lsn } = await batch(db, [{ op: "put", store, key, doc }]);
        log.push({ lsn, store, key, doc });
      }
    }
  })();
  return { stop: async () => void (running = false, await done) };
}

function expectedAt(log: Committed[], lsn: number): Map<string, string> {
  const state = new Map<string, string>();
  for (const entry of [...log].sort((x, y) => x.lsn - y.lsn)) {
    if (entry.lsn > lsn) break;
    const id = `${entry.store}/${entry.key}`;
    if (entry.doc === null) state.delete(id);
    else state.set(id, BSON.deserialize(entry.doc).n + "");
  }
  return state;
}

async function contents(dir: string): Promise<Map<string, string>> {
  const db = await openDatabase(dir);
  try {
    const out = new Map<string, string>();
    for (const store of STORES) {
      if (!db.hasStore(store)) continue;
      for (const [key, bytes] of db.scan(db.storeInfo(store).id)) {
        out.set(`${store}/${key}`, BSON.deserialize(bytes).n + "");
      }
    }
    return out;
  } finally {
    await db.close();
  }
}

for (const form of ["dir", "tar"] as const) {
  Deno.test(`ops: an online backup (${form}) under concurrent writes restores to exactly its LSN`, async () => {
    await forEachSeed(`online backup ${form}`, (seed) =>
      withTempDir(async (root) => {
        const db = await openDatabase(`${root}/data`, {
          memtableBytes: 64 * 1024,
          walSegmentBytes: 64 * 1024,
          walCheckpointBytes: 32 * 1024,
          walPreallocateBytes: 0,
        });
        const log: Committed[] = [];
        try {
          for (const store of STORES) await db.createStore(store);
          const writers = [startWriter(db, seed, log), startWriter(db, seed + 1, log)];
          while (log.length < 500) await new Promise((resolve) => setTimeout(resolve, 5));
          const target = form === "tar" ? `${root}/bk.tar` : `${root}/bk`;
          const flushesBefore = db.stats().flushes;
          const manifest = await backupSource(await databaseSource(db), target, { quiet: true });
          while (log.length < 1500 || db.stats().flushes < flushesBefore + 2) {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          for (const writer of writers) await writer.stop();
          assert(log.some((entry) => entry.lsn > manifest.lsn), "writes went on after the backup's LSN");
          const verified = await verifyBackup(target, { quiet: true });
          assertEquals(verified.lsn, manifest.lsn);
          await restoreBackup(target, `${root}/restored`, { quiet: true });
          const expected = expectedAt(log, manifest.lsn);
          const found = await contents(`${root}/restored`);
          assertEquals(found.size, expected.size, `documents at LSN ${manifest.lsn}`);
          for (const [id, n] of expected) assertEquals(found.get(id), n, `${id} at LSN ${manifest.lsn}`);
          const counts = Object.fromEntries(manifest.stores.map((s) => [s.name, s.documents]));
          for (const store of STORES) {
            assertEquals(
              counts[store],
              [...expected.keys()].filter((id) => id.startsWith(`${store}/`)).length,
            );
          }
        } finally {
          await db.close();
        }
      }));
  });
}

Deno.test("ops: a corrupt byte in an online backup fails verify naming the file (dir and tar)", async () => {
  await withTempDir(async (root) => {
    const db = await openDatabase(`${root}/data`, { walPreallocateBytes: 0 });
    try {
      await db.createStore("a");
      for (let i = 0; i < 50; i++) await batch(db, [{ op: "insert", store: "a", doc: { i } }]);
      await db.flush();
      for (let i = 0; i < 50; i++) await batch(db, [{ op: "insert", store: "a", doc: { i } }]);
      await backupSource(await databaseSource(db), `${root}/bk`, { quiet: true });
      await backupSource(await databaseSource(db), `${root}/bk.tar`, { quiet: true });
    } finally {
      await db.close();
    }
    const manifest = JSON.parse(await Deno.readTextFile(`${root}/bk/manifest.json`));
    const victim = manifest.files.find((file: { path: string }) => file.path === "index.btree");
    assert(victim !== undefined, "the backup has the tree");
    const bytes = await Deno.readFile(`${root}/bk/index.btree`);
    bytes[bytes.length >> 1] ^= 0x01;
    await Deno.writeFile(`${root}/bk/index.btree`, bytes);
    await assertRejectsCode(
      () => verifyBackup(`${root}/bk`, { quiet: true }),
      "corruption",
      `"index.btree" is damaged`,
    );

    // In the tar: flip one byte inside the tree's content (located by its header).
    const tar = await Deno.readFile(`${root}/bk.tar`);
    const decoder = new TextDecoder();
    let offset = 0;
    let hit = -1;
    while (offset < tar.length && tar[offset] !== 0) {
      const name = decoder.decode(tar.subarray(offset, offset + 100)).replace(/\0.*$/s, "");
      const size = parseInt(decoder.decode(tar.subarray(offset + 124, offset + 135)), 8);
      if (name === "index.btree") hit = offset + 512 + (size >> 1);
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    assert(hit > 0, "the tar holds index.btree");
    tar[hit] ^= 0x01;
    await Deno.writeFile(`${root}/bk.tar`, tar);
    await assertRejectsCode(
      () => verifyBackup(`${root}/bk.tar`, { quiet: true }),
      "corruption",
      `"index.btree" is damaged`,
    );
    // A damaged header is named too.
    tar[hit] ^= 0x01;
    tar[10] ^= 0x01; // inside the first entry's name
    await Deno.writeFile(`${root}/bk.tar`, tar);
    await assertRejectsCode(
      () => verifyBackup(`${root}/bk.tar`, { quiet: true }),
      "corruption",
      "checksum mismatch",
    );
  });
});
