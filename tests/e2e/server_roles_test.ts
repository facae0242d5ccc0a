/**
 * Role enforcement per op over real sockets: every op of the protocol, run by a read_only, a
 * read_write and an admin session, is refused with `forbidden` exactly when the role is too weak;
 * system stores are admin-read-only.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { ClientError, connect, type PlanckClient } from "../../client/mod.ts";
import { OPS } from "../../host/wire/ops.ts";
import { withServer } from "../host/test_server.ts";

type Role = "read_only" | "read_write" | "admin";
const RANK: Record<Role, number> = { read_only: 0, read_write: 1, admin: 2 };
const KEY = "0".repeat(31) + "1";

/** One sample request per op, and the weakest role that may run it. `role` names the caller. */
function samples(role: Role): { op: string; fields: Record<string, unknown>; needs: Role }[] {
  return [
    { op: "ping", fields: {}, needs: "read_only" },
    { op: "stats", fields: {}, needs: "read_only" },
    { op: "get", fields: { store: "data", key: KEY }, needs: "read_only" },
    { op: "scan", fields: { store: "data" }, needs: "read_only" },
    { op: "query", fields: { query: { op: "get", store: "data", key: KEY } }, needs: "read_only" },
    { op: "pql", fields: { text: "show stores" }, needs: "read_only" },
    { op: "count", fields: { store: "data" }, needs: "read_only" },
    { op: "aggregate", fields: { store: "data", aggregates: { n: { fn: "count" } } }, needs: "read_only" },
    { op: "listStores", fields: {}, needs: "read_only" },
    { op: "listIndexes", fields: { store: "data" }, needs: "read_only" },
    { op: "batch", fields: { requests: [{ op: "ping" }] }, needs: "read_only" },
    { op: "rotateKey", fields: { user: `self_${role}` }, needs: "read_only" },
    { op: "insert", fields: { store: "data", doc: { by: role } }, needs: "read_write" },
    { op: "put", fields: { store: "data", key: KEY, doc: { by: role } }, needs: "read_write" },
    { op: "replace", fields: { store: "data", key: KEY, doc: { by: role } }, needs: "read_write" },
    { op: "update", fields: { store: "data", key: KEY, set: { by: role } }, needs: "read_write" },
    { op: "delete", fields: { store: "data", key: "f".repeat(32) }, needs: "read_write" },
    { op: "transaction", fields: { ops: [{ op: "insert", store: "data", doc: {} }] }, needs: "read_write" },
    { op: "createStore", fields: { store: `made_${role}` }, needs: "read_write" },
    {
      op: "createIndex",
      fields: {
        name: `ix_${role}`,
        store: "data",
        fields: [{ path: "by", direction: "asc" }],
        unique: false,
      },
      needs: "read_write",
    },
    { op: "dropStore", fields: { store: `doomed_${role}` }, needs: "admin" },
    { op: "dropIndex", fields: { name: "no_such_index" }, needs: "admin" },
    { op: "createUser", fields: { user: `new_${role}`, role: "read_only" }, needs: "admin" },
    { op: "dropUser", fields: { user: `victim_${role}` }, needs: "admin" },
    { op: "setRole", fields: { user: `victim_${role}`, role: "read_only" }, needs: "admin" },
    { op: "grant", fields: { user: `victim_${role}`, app: "orders" }, needs: "admin" },
    { op: "revoke", fields: { user: `victim_${role}`, app: "orders" }, needs: "admin" },
    { op: "listUsers", fields: {}, needs: "admin" },
    { op: "shutdown", fields: {}, needs: "admin" },
    { op: "deploy", fields: { wasm: new Uint8Array([0, 97, 115, 109]) }, needs: "admin" },
    { op: "undeploy", fields: { name: "no_such_service" }, needs: "admin" },
    { op: "services", fields: {}, needs: "admin" },
    { op: "replicationStatus", fields: {}, needs: "read_only" },
    { op: "promote", fields: {}, needs: "admin" },
    { op: "replicate", fields: { since: 0, epoch: 1, waitMs: 0 }, needs: "admin" }, // or the replication role
    { op: "watch", fields: { store: "data" }, needs: "read_only" },
    { op: "credit", fields: { target: 999_999, credit: 1 }, needs: "read_only" },
    { op: "cancel", fields: { target: 999_999 }, needs: "read_only" },
    { op: "backupBegin", fields: {}, needs: "admin" },
    {
      op: "backupRead",
      fields: { backup: "none", path: "index.btree", offset: 0, length: 1 },
      needs: "admin",
    },
    { op: "backupEnd", fields: { backup: "none" }, needs: "admin" },
    { op: "schedule", fields: { action: "list" }, needs: "admin" },
  ];
}

async function outcome(db: PlanckClient, op: string, fields: Record<string, unknown>): Promise<string> {
  try {
    const result = await db.request(op, fields);
    if (op === "batch") {
      return (result as { results: { ok: boolean }[] }).results[0].ok ? "ok" : "batch item failed";
    }
    return "ok";
  } catch (error) {
    return error instanceof ClientError ? error.code : String(error);
  }
}

Deno.test("every op is refused with forbidden exactly when the session's role is too weak", async () => {
  await withServer(async ({ admin }) => {
    const root = await connect(admin);
    const sessions: Partial<Record<Role, PlanckClient>> = {};
    try {
      await root.put("data", KEY, { seed: true });
      for (const role of ["read_only", "read_write", "admin"] as Role[]) {
        await root.request("createStore", { store: `doomed_${role}` });
        await root.users.create(`victim_${role}`, "read_only");
        const key = await root.users.create(`self_${role}`, role);
        sessions[role] = await connect(
          admin.replace("uid=admin", `uid=self_${role}`).replace(/key=[^;]+/, `key=${key}`),
        );
      }
      const covered = new Set<string>();
      for (const role of ["read_only", "read_write", "admin"] as Role[]) {
        for (const sample of samples(role)) {
          covered.add(sample.op);
          if (sample.op === "shutdown" && role === "admin") continue; // would stop the server under test
          const result = await outcome(sessions[role]!, sample.op, sample.fields);
          const allowed = RANK[role] >= RANK[sample.needs];
          if (allowed) assert(result !== "forbidden", `${role} must be allowed ${sample.op}`);
          else assertEquals(result, "forbidden", `${role} must be refused ${sample.op}`);
        }
      }
      assertEquals([...covered].sort(), Object.keys(OPS).filter((op) => op !== "authenticate").sort());
    } finally {
      root.close();
      for (const db of Object.values(sessions)) db?.close();
    }
  });
});

Deno.test("the replication role may replicate and nothing else", async () => {
  await withServer(async ({ admin }) => {
    const root = await connect(admin);
    try {
      const key = await root.users.create("replicator", "replication");
      const replicator = await connect(
        admin.replace("uid=admin", "uid=replicator").replace(/key=[^;]+/, `key=${key}`),
      );
      try {
        assertEquals(await outcome(replicator, "replicate", { since: 0, epoch: 1, waitMs: 0 }), "ok");
        for (const sample of samples("read_only")) {
          if (["replicate", "rotateKey", "backupBegin", "backupRead", "backupEnd"].includes(sample.op)) {
            continue;
          }
          const expected = sample.op === "batch" ? "batch item failed" : "forbidden"; // batch runs, its ping is refused
          assertEquals(await outcome(replicator, sample.op, sample.fields), expected, sample.op);
        }
      } finally {
        replicator.close();
      }
    } finally {
      root.close();
    }
  });
});

Deno.test("system stores are readable by admins only and writable by no wire op", async () => {
  await withServer(async ({ admin }) => {
    const root = await connect(admin);
    try {
      const key = await root.users.create("writer", "read_write");
      const writer = await connect(
        admin.replace("uid=admin", "uid=writer").replace(/key=[^;]+/, `key=${key}`),
      );
      try {
        assertEquals(await outcome(writer, "scan", { store: "sysusers" }), "forbidden");
        assertEquals(
          await outcome(writer, "query", { query: { op: "find", store: "sysusers" } }),
          "forbidden",
        );
        const listed = await writer.request("listStores") as { name: string }[];
        assert(!listed.some((s) => s.name === "sysusers"), "non-admins do not see system stores");
      } finally {
        writer.close();
      }
      assertEquals(await outcome(root, "scan", { store: "sysusers" }), "ok");
      assertEquals(await outcome(root, "insert", { store: "sysusers", doc: { name: "x" } }), "forbidden");
      assertEquals(await outcome(root, "insert", { store: "sysother", doc: {} }), "forbidden");
      assertEquals(await outcome(root, "pql", { text: "drop store sysusers" }), "forbidden");
    } finally {
      root.close();
    }
  });
});
