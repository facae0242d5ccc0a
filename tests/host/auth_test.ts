import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { openDatabase } from "../../engine/db/database.ts";
import { Store } from "../../engine/db/store.ts";
import { Users, USERS_STORE } from "../../host/auth.ts";

async function withUsers(fn: (users: Users) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_auth_" });
  const db = await openDatabase(dir);
  try {
    await fn(await Users.open(db));
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Users.bootstrap creates the admin once, with a random key that verifies", async () => {
  await withUsers(async (users) => {
    const key = await users.bootstrap();
    assert(key !== null && /^[A-Za-z0-9_-]{43}$/.test(key), String(key));
    assertEquals(await users.bootstrap(), null);
    assertEquals((await users.verify("admin", key))?.role, "admin");
    assertEquals(await users.verify("admin", key.replace(/.$/, key.endsWith("A") ? "B" : "A")), null);
    assertEquals(await users.verify("ghost", key), null);
  });
});

Deno.test("Users store only scrypt hashes, never keys", async () => {
  await withUsers(async (users) => {
    const key = await users.create("alice", "read_write");
    const docs = new Store(users.db, USERS_STORE).scan();
    assertEquals(docs.length, 1);
    const stored = JSON.stringify(docs[0].doc);
    assert(!stored.includes(key));
    assert(String(docs[0].doc.hash).startsWith("scrypt$"));
  });
});

Deno.test("Users.rotate replaces the key at once; setRole and drop keep one admin", async () => {
  await withUsers(async (users) => {
    const adminKey = (await users.bootstrap())!;
    const old = await users.create("bob", "read_only");
    assert(await users.verify("bob", old) !== null);
    const fresh = await users.rotate("bob");
    assertEquals(await users.verify("bob", old), null);
    assert(await users.verify("bob", fresh) !== null);
    await assertRejectsCode(() => users.drop("admin"), "conflict", "last admin");
    await assertRejectsCode(() => users.setRole("admin", "read_write"), "conflict", "last admin");
    await users.setRole("bob", "admin");
    await users.setRole("admin", "read_only");
    assertEquals(users.get("admin")?.role, "read_only");
    assert(await users.verify("admin", adminKey) !== null);
    await assertRejectsCode(() => users.create("bob", "admin"), "conflict");
    await assertRejectsCode(() => users.create("bad name", "admin"), "invalid_argument");
    await assertRejectsCode(() => users.create("carol", "root" as "admin"), "invalid_argument");
    await assertRejectsCode(() => users.drop("nobody"), "not_found");
    assertEquals(users.list().map((u) => u.name), ["admin", "bob"]);
  });
});

Deno.test("Users.verify shares one scrypt among concurrent logins with the same key", async () => {
  await withUsers(async (users) => {
    const key = await users.create("many", "read_only");
    const results = await Promise.all(Array.from({ length: 20 }, () => users.verify("many", key)));
    assert(results.every((user) => user?.name === "many"));
  });
});
