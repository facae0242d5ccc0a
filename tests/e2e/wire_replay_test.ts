/**
 * Auth bypass attempts on the wire (docs/security.md, "Wire authentication"): every op sent before
 * `authenticate` is refused with `unauthorized` and has no effect; frames captured from an admin's
 * session and replayed byte for byte on other connections (unauthenticated, as a weaker user, after
 * the key was rotated) gain nothing; an `authenticate` replayed on a signed-in connection does not
 * switch its user; authority comes from the session, never from fields of a frame.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { OPS } from "../../host/wire/ops.ts";
import { frame, RawWire, withServer } from "../host/test_server.ts";

const KEY = "0".repeat(31) + "7";

function codeOf(response: Record<string, unknown> | null): string {
  if (response === null) return "closed";
  return response.ok === true ? "ok" : String((response.error as { code?: unknown })?.code);
}

function credentials(connection: string): { user: string; key: string } {
  return { user: /uid=([^;]+)/.exec(connection)![1], key: /key=([^;]+)/.exec(connection)![1] };
}

/** Fields that make each op a real request (so a refusal is the session's doing, not a bad field). */
function fieldsOf(op: string): Record<string, unknown> {
  const samples: Record<string, Record<string, unknown>> = {
    get: { store: "data", key: KEY },
    scan: { store: "data" },
    insert: { store: "data", doc: { by: "attacker" } },
    put: { store: "data", key: KEY, doc: { by: "attacker" } },
    replace: { store: "data", key: KEY, doc: { by: "attacker" } },
    update: { store: "data", key: KEY, set: { by: "attacker" } },
    delete: { store: "data", key: KEY },
    transaction: { ops: [{ op: "insert", store: "data", doc: { by: "attacker" } }] },
    batch: { requests: [{ op: "insert", store: "data", doc: { by: "attacker" } }] },
    query: { query: { op: "insert", store: "data", documents: [{ by: "attacker" }] } },
    pql: { text: `data.insert({"by": "attacker"})` },
    createUser: { user: "mallory", role: "admin" },
    dropUser: { user: "admin" },
    setRole: { user: "admin", role: "read_only" },
    grant: { user: "admin", app: "orders" },
    rotateKey: { user: "admin" },
    dropStore: { store: "data" },
    createStore: { store: "made" },
    shutdown: {},
    watch: { store: "data" },
  };
  return samples[op] ?? {};
}

Deno.test("every op before authenticate is unauthorized and has no effect", async () => {
  await withServer(async ({ admin, port }) => {
    const root = await connect(admin);
    try {
      await root.put("data", KEY, { by: "admin" });
      let raw = await RawWire.open(port);
      let sent = 0;
      for (const op of Object.keys(OPS).filter((op) => op !== "authenticate")) {
        let response = await raw.call({ id: ++sent, op, ...fieldsOf(op) }).catch(() => null);
        if (response === null) { // closed after AUTH_FAILURES_PER_CONNECTION_MAX: a fresh one
          raw.close();
          raw = await RawWire.open(port);
          response = await raw.call({ id: ++sent, op, ...fieldsOf(op) });
        }
        assertEquals(codeOf(response), "unauthorized", op);
      }
      raw.close();
      assertEquals(await root.get("data", KEY), { key: KEY, by: "admin" });
      assertEquals(await root.request("count", { store: "data" }), { count: 1 });
      assertEquals((await root.users.list()).map((u) => [u.name, u.role]), [["admin", "admin"]]);
      assert(!(await root.request("listStores") as { name: string }[]).some((s) => s.name === "made"));
    } finally {
      root.close();
    }
  });
});

Deno.test("frames replayed from an admin's session gain nothing elsewhere", async () => {
  await withServer(async ({ admin, port }) => {
    const root = await connect(admin);
    try {
      const readerKey = await root.users.create("reader", "read_only");
      const { user, key } = credentials(admin);
      const captured = [
        { id: 1, op: "authenticate", user, key },
        { id: 2, op: "insert", store: "data", doc: { by: "replay" } },
        { id: 3, op: "createUser", user: "mallory", role: "admin" },
      ];
      const session = await RawWire.open(port);
      try {
        for (const request of captured) assertEquals(codeOf(await session.call(request)), "ok", request.op);
        // The authenticate frame again, even as another user, does not switch the signed-in user.
        assertEquals(codeOf(await session.call(captured[0])), "conflict");
        const again = await session.call({ id: 4, op: "authenticate", user: "reader", key: readerKey });
        assertEquals(codeOf(again), "conflict");
        assertEquals(codeOf(await session.call({ id: 5, op: "listUsers" })), "ok", "still the admin");
      } finally {
        session.close();
      }

      // The writes without their authenticate, on a fresh connection.
      const bare = await RawWire.open(port);
      try {
        await bare.write(new Uint8Array([...frame(captured[1]), ...frame(captured[2])]));
        assertEquals(codeOf(await bare.read()), "unauthorized");
        assertEquals(codeOf(await bare.read()), "unauthorized");
      } finally {
        bare.close();
      }

      // The admin's frames inside a weaker user's session: authority is the session's, not the frame's.
      const weak = await RawWire.open(port);
      try {
        assertEquals(
          codeOf(await weak.call({ id: 1, op: "authenticate", user: "reader", key: readerKey })),
          "ok",
        );
        assertEquals(codeOf(await weak.call(captured[1])), "forbidden");
        assertEquals(codeOf(await weak.call({ ...captured[2], id: 6 })), "forbidden");
        assertEquals(codeOf(await weak.call({ ...captured[1], id: 7, user: "admin" })), "invalid_argument");
        assertEquals(codeOf(await weak.call({ ...captured[1], id: 8, role: "admin" })), "invalid_argument");
      } finally {
        weak.close();
      }

      // After the admin's key is rotated the whole capture, replayed, gets nowhere.
      const rotated = await root.users.rotate("admin");
      const late = await RawWire.open(port);
      try {
        await late.write(new Uint8Array(captured.flatMap((request) => [...frame(request)])));
        assertEquals(codeOf(await late.read()), "unauthorized", "the old key");
        assertEquals(codeOf(await late.read()), "unauthorized");
        assertEquals(codeOf(await late.read()), "unauthorized");
      } finally {
        late.close();
      }
      const fresh = await connect(admin.replace(/key=[^;]+/, `key=${rotated}`));
      try {
        assertEquals(
          await fresh.request("count", { store: "data" }),
          { count: 1 },
          "only the real session's insert",
        );
        assertEquals((await fresh.users.list()).map((u) => u.name).sort(), ["admin", "mallory", "reader"]);
      } finally {
        fresh.close();
      }
    } finally {
      root.close();
    }
  });
});
