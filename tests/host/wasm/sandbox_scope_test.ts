/**
 * A service cannot reach another service's stores or the system stores by any host-call argument
 * (docs/security.md, "Service sandbox"): adversarial store names, nested and wrapped queries, DDL
 * and listing ops, and seeded random names, all answered inside a real transaction on a real
 * database. Every accepted name maps to a store the service owns (host/wire/authorize.ts
 * `appOfStore`), nothing foreign is read or written, and no foreign store is asked to be created.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { openDatabase } from "../../../engine/mod.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { answerHostCall, scopedStore } from "../../../host/guest/sandbox.ts";
import { appOfStore, isSystemStore } from "../../../host/wire/authorize.ts";

const SERVICE = "svc";
/** Stores the service must never reach: another service's, a service whose name extends ours, the system's. */
const FOREIGN = ["other__secret", "svc_x__items", "svc___items", "sysusers", "sys_other"];

const STORE_ARGUMENTS: unknown[] = [
  "other__secret",
  "__secret",
  "_items",
  "svc__items",
  "../other__secret",
  "other/secret",
  "items\0other__secret",
  " items",
  "items ",
  "ITEMS__x",
  "sysusers",
  "SysUsers",
  "sYs_other",
  "x".repeat(65),
  "іtems", // Cyrillic і
  "",
  123,
  null,
  true,
  {},
  { $ne: null },
  ["items"],
  ["other__secret"],
];

function hostCalls(): Record<string, unknown>[] {
  const calls: Record<string, unknown>[] = [];
  for (const store of STORE_ARGUMENTS) {
    for (
      const query of [
        { op: "find", store },
        { op: "get", store, key: "0".repeat(32) },
        { op: "count", store },
        { op: "aggregate", store, aggregates: { n: { fn: "count" } } },
        { op: "insert", store, documents: [{ owner: "svc" }] },
        { op: "update", store, set: { owner: "svc" } },
        { op: "replace", store, key: "0".repeat(32), doc: { owner: "svc" } },
        { op: "delete", store },
        { op: "explain", query: { op: "find", store } },
        { op: "explain", query: { op: "explain", query: { op: "find", store } } },
        { op: "createStore", store },
        { op: "dropStore", store },
        { op: "createIndex", store, name: "ix", fields: [{ path: "a", direction: "asc" }], unique: false },
        { op: "showIndexes", store },
        { op: "showStores" },
        { op: "find", store: "items", from: store },
      ]
    ) {
      calls.push(query, { op: "query", query }, { ...query, query: { op: "find", store: "other__secret" } });
    }
  }
  return calls;
}

Deno.test("no host-call argument reaches another service's stores or the system stores", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_sandbox_" });
  const db = await openDatabase(dir);
  try {
    await db.createStore("svc__items");
    for (const store of FOREIGN) await db.createStore(store, { system: isSystemStore(store) });
    await transaction(db, (tx) => {
      tx.store("svc__items").insert({ owner: "svc" });
      for (const store of FOREIGN) tx.store(store).insert({ owner: "other" });
    });
    const missing = new Set<string>();
    let answered = 0;
    for (const call of hostCalls()) {
      await transaction(db, (tx) => {
        const scope = { service: SERVICE, tx, missing, log: () => {}, logLines: 0 };
        const reply = answerHostCall(scope, call);
        answered++;
        const text = JSON.stringify(reply);
        assert(!text.includes('"owner":"other"'), `a foreign document leaked for ${JSON.stringify(call)}`);
        assert(!/other__|sys/i.test(reply.ok === true ? text : ""), `a foreign name in ${text}`);
      });
    }
    assert(answered > 1000, `answered ${answered} host calls`);
    for (const store of missing) assertEquals(appOfStore(store), SERVICE, `asked to create "${store}"`);
    for (const store of FOREIGN) {
      assert(db.hasStore(store), `"${store}" still exists`);
      const docs = [...db.scan(db.storeInfo(store)!.id)];
      assertEquals(docs.length, 1, `"${store}" untouched`);
    }
    for (const name of db.listStores().map((s) => s.name)) {
      assert(FOREIGN.includes(name) || appOfStore(name) === SERVICE, `store "${name}" was created`);
    }
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every store name a guest may use maps to a store of its own service", async () => {
  const alphabet = "abcsySYS_019-./\0 _é";
  let accepted = 0;
  await forEachSeed("sandbox store names", (seed) => {
    const random = seededRandom(seed);
    for (let i = 0; i < 5_000; i++) {
      const length = 1 + Math.floor(random() * 8);
      let name = "";
      for (let j = 0; j < length; j++) name += alphabet[Math.floor(random() * alphabet.length)];
      for (const service of ["svc", "svc_", "s"]) {
        let store: string;
        try {
          store = scopedStore(service, name);
        } catch {
          continue;
        }
        accepted++;
        assertEquals(appOfStore(store), service, `"${name}" of "${service}" → "${store}"`);
        assert(!isSystemStore(store), `"${name}" of "${service}" is a system store`);
      }
    }
  });
  assert(accepted > 0, "some names were accepted");
});
