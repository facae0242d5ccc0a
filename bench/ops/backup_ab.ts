/**
 * Backup A/B: three online backups to .tar of the same 200,000-document database (~160 MB) by the code of
 * the checkout at ROOT, with wall time, MB/s and the process's CPU time per backup. Run it for two checkouts
 * back to back (e.g. `git worktree add /tmp/old <commit>`) to compare them under the same load:
 *
 *   deno run -A bench/ops/backup_ab.ts /tmp/old
 *   deno run -A bench/ops/backup_ab.ts .
 */
// deno-lint-ignore-file no-explicit-any
import process from "node:process";
import { BSON } from "bson";

const root = new URL(`${Deno.args[0] ?? "."}/`, `file://${Deno.cwd()}/`).href;
const { openDatabase } = await import(`${root}engine/db/database.ts`) as any;
const { batch } = await import(`${root}engine/db/store.ts`) as any;
const ops = await import(`${root}host/ops/mod.ts`) as any;
const dir = `${new URL("../../", import.meta.url).pathname}bench/.data/ab-${Deno.pid}`;
const db = await openDatabase(`${dir}/db`, { walPreallocateBytes: 0 });
await db.createStore("items");
for (let at = 0; at < 200_000; at += 1000) {
  await batch(
    db,
    Array.from({ length: 1000 }, (_, i) => ({
      op: "insert",
      store: "items",
      doc: BSON.serialize({ n: at + i, name: `customer ${at + i}`, pad: "x".repeat(300), at: new Date() }),
    })),
  );
}
await db.flush();
const results: string[] = [];
for (let i = 0; i < 3; i++) {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const manifest = await ops.backupSource(await ops.databaseSource(db), `${dir}/b${i}.tar`, { quiet: true });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mb = manifest.files.reduce((sum: number, file: { bytes: number }) => sum + file.bytes, 0) / 1e6;
  results.push(
    `${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(0)} MB/s (CPU ${
      ((cpu.user + cpu.system) / 1e6).toFixed(2)
    } s)`,
  );
  await Deno.remove(`${dir}/b${i}.tar`);
}
await db.close();
await Deno.remove(dir, { recursive: true });
console.log(`${Deno.args[0] ?? "."} | ${results.join(" | ")}`);
