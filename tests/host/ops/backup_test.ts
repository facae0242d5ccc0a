/**
 * Offline backup, verify and restore on real directories: the restored directory holds exactly the
 * source's documents (byte for byte) at the manifest's LSN; a damaged, missing or extra file fails
 * verify naming it; restore refuses a non-empty target without force and a damaged backup always.
 */
import { BSON, Decimal128, Long } from "bson";
import { openDatabase } from "../../../engine/db/database.ts";
import { batch } from "../../../engine/db/store.ts";
import {
  backupDirectory,
  databaseRows,
  readManifest,
  restoreBackup,
  verifyBackup,
  verifyChecksums,
} from "../../../host/ops/mod.ts";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDir } from "../../_util/temp_db.ts";

/** Fills two stores over several commits (with a flush between, so WAL and tiers both hold data). */
async function makeSource(dir: string): Promise<void> {
  const db = await openDatabase(dir, { walPreallocateBytes: 0 });
  try {
    await db.createStore("a");
    await db.createStore("b");
    for (let round = 0; round < 3; round++) {
      const ops = Array.from({ length: 500 }, (_, i) => ({
        op: "insert" as const,
        store: i % 2 ? "a" : "b",
        doc: BSON.serialize({
          round,
          i,
          big: Long.fromNumber(i * 1e6),
          dec: Decimal128.fromString(`${i}.5`),
        }),
      }));
      await batch(db, ops);
      if (round === 1) await db.flush();
    }
  } finally {
    await db.close();
  }
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const db = await openDatabase(dir, { walPreallocateBytes: 0 });
  try {
    const out = new Map<string, string>();
    for (const store of db.listStores()) {
      for (const row of databaseRows(db, store.name)) {
        out.set(`${store.name}/${row.key}`, Array.from(row.bytes).join(","));
      }
    }
    return out;
  } finally {
    await db.close();
  }
}

Deno.test("backup → verify → restore gives the source's documents at the manifest's LSN", async () => {
  await withTempDir(async (dir) => {
    await makeSource(`${dir}/data`);
    const manifest = await backupDirectory(`${dir}/data`, `${dir}/backup`, { quiet: true });
    assert(manifest.lsn > 0);
    assertEquals(manifest.stores, [{ name: "a", documents: 750 }, { name: "b", documents: 750 }]);
    assert(!manifest.files.some((file) => file.path === "LOCK"), "the lock file is not copied");
    assertEquals((await readManifest(`${dir}/backup`)).files, manifest.files);
    for (const file of manifest.files) {
      // A backup holds sysusers (key hashes): owner-only, like admin.credentials.
      const mode = (await Deno.stat(`${dir}/backup/${file.path}`)).mode! & 0o777;
      assertEquals(mode & 0o077, 0, `${file.path} is mode ${mode.toString(8)}`);
    }
    assertEquals((await verifyBackup(`${dir}/backup`, { quiet: true })).lsn, manifest.lsn);
    const restored = await restoreBackup(`${dir}/backup`, `${dir}/restored`, { quiet: true });
    assertEquals(restored.stores, manifest.stores);
    const [source, copy] = [await snapshot(`${dir}/data`), await snapshot(`${dir}/restored`)];
    assertEquals(copy.size, 1_500);
    assertEquals(copy, source);
    const db = await openDatabase(`${dir}/restored`, { walPreallocateBytes: 0 });
    assertEquals(db.lastLsn, manifest.lsn);
    await db.close();
  });
});

Deno.test("verify names a damaged, missing or unlisted file; restore refuses a damaged backup", async () => {
  await withTempDir(async (dir) => {
    await makeSource(`${dir}/data`);
    const manifest = await backupDirectory(`${dir}/data`, `${dir}/backup`, { quiet: true });
    const victim = manifest.files.find((file) => file.bytes > 100)!;
    const path = `${dir}/backup/${victim.path}`;
    const original = await Deno.readFile(path);
    const damaged = original.slice();
    damaged[Math.floor(damaged.length / 2)] ^= 0x01;
    await Deno.writeFile(path, damaged);
    const error = await assertRejectsCode(
      () => verifyChecksums(`${dir}/backup`, { quiet: true }),
      "corruption",
      victim.path,
    );
    assertEquals(error.location?.file, path);
    await assertRejectsCode(
      () => restoreBackup(`${dir}/backup`, `${dir}/r1`, { quiet: true }),
      "corruption",
      victim.path,
    );
    await Deno.remove(path);
    await assertRejectsCode(
      () => verifyChecksums(`${dir}/backup`, { quiet: true }),
      "corruption",
      "is missing",
    );
    await Deno.writeFile(path, original);
    await Deno.writeTextFile(`${dir}/backup/stray.txt`, "x");
    await assertRejectsCode(
      () => verifyChecksums(`${dir}/backup`, { quiet: true }),
      "corruption",
      "stray.txt",
    );
    await Deno.remove(`${dir}/backup/stray.txt`);
    await verifyBackup(`${dir}/backup`, { quiet: true });
    await assertRejectsCode(() => verifyChecksums(`${dir}/nothing`, { quiet: true }), "not_found");
  });
});

Deno.test("restore refuses a non-empty target unless forced; backup refuses a locked source or a full target", async () => {
  await withTempDir(async (dir) => {
    await makeSource(`${dir}/data`);
    await backupDirectory(`${dir}/data`, `${dir}/backup`, { quiet: true });
    await Deno.mkdir(`${dir}/target`);
    await Deno.writeTextFile(`${dir}/target/old.txt`, "old");
    await assertRejectsCode(
      () => restoreBackup(`${dir}/backup`, `${dir}/target`, { quiet: true }),
      "conflict",
      "--force",
    );
    await restoreBackup(`${dir}/backup`, `${dir}/target`, { force: true, quiet: true });
    assert(!(await exists(`${dir}/target/old.txt`)), "--force replaced the content");
    assertEquals((await snapshot(`${dir}/target`)).size, 1_500);
    await assertRejectsCode(
      () => backupDirectory(`${dir}/data`, `${dir}/backup`, { quiet: true }),
      "conflict",
    );
    const db = await openDatabase(`${dir}/data`, { walPreallocateBytes: 0 });
    try {
      await assertRejectsCode(() => backupDirectory(`${dir}/data`, `${dir}/b2`, { quiet: true }), "locked");
    } finally {
      await db.close();
    }
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
