/**
 * Regression tests for what the fuzz harness found (tests/fuzz/harness.ts). Each names the target,
 * the seed and case that found it, and checks the fix through the same public API.
 */
import { BSON } from "bson";
import { assert, assertEquals } from "../_util/assert.ts";
import { withTempDatabase } from "../_util/temp_db.ts";
import { Store } from "../../engine/db/store.ts";
import { httpTarget } from "./targets/http.ts";

Deno.test("finding write_api 0x5eed0001/117: a BSON regex that is no JS pattern is stored and read back", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const key = await docs.insert(BSON.serialize({ re: new BSON.BSONRegExp("(", "x"), ok: /^a/i }));
    const doc = docs.get(key)!;
    assert(doc.re instanceof BSON.BSONRegExp, "kept as a BSONRegExp");
    assertEquals((doc.re as BSON.BSONRegExp).pattern, "(");
    assertEquals(docs.scan().length, 1);
  });
});

/** {s: "ab"} with the string's bytes or length replaced. */
function stringFrame(body: number[], declaredLength: number): Uint8Array {
  const element = [0x02, 0x73, 0x00, declaredLength, 0, 0, 0, ...body, 0x00];
  const total = 4 + element.length + 1;
  return new Uint8Array([total, 0, 0, 0, ...element, 0x00]);
}

Deno.test("finding write_api 1232695194/179 and 4035715753/143: raw frames with bad strings are refused", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const bad = [
      stringFrame([0xff, 0xfe], 3), // not UTF-8
      stringFrame([0x61, 0x62], 9), // length past the document
      stringFrame([0x61, 0x62], 0), // length without room for the NUL
      new Uint8Array([12, 0, 0, 0, 0x08, 0x62, 0x00, 0x02, 0, 0, 0, 0]).subarray(0, 9), // cut
      new Uint8Array([9, 0, 0, 0, 0x08, 0x62, 0x00, 0x02, 0x00]), // boolean 2
    ];
    for (const [i, frame] of bad.entries()) {
      let code: string | undefined;
      try {
        await docs.insert(frame);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      assertEquals(code, "invalid_argument", `frame ${i}`);
    }
    assertEquals(docs.scan().length, 0, "nothing stored");
    const good = stringFrame([0x61, 0xc3, 0xa9], 4);
    assertEquals(docs.get(await docs.insert(good)), { s: "aé" });
  });
});

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Sends raw bytes to the app port and returns the response head (status line and headers). */
async function rawHttp(port: number, raw: string, halfClose = true): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(raw));
    if (halfClose) await conn.closeWrite();
    const chunks: string[] = [];
    const buffer = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(decoder.decode(buffer.subarray(0, n), { stream: true }));
      if (chunks.join("").includes("\r\n\r\n")) break;
    }
    return chunks.join("");
  } finally {
    conn.close();
  }
}

Deno.test("finding http (host 500 'Cannot read body'): a cut body is 400, a chunked body over the limit 413", async () => {
  const ctx = await httpTarget.setup();
  try {
    const cut = await rawHttp(
      ctx.port,
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ti',
    );
    assert(cut.startsWith("HTTP/1.1 400"), cut);
    assert(/x-request-id:/i.test(cut), cut);
    // 5 MiB in chunks with no Content-Length: refused once past REQUEST_BODY_BYTES_MAX, not buffered whole.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: ctx.port });
    const enc = new TextEncoder();
    await conn.write(
      enc.encode("POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
    );
    const chunk = "x".repeat(64 * 1024);
    let written = 0;
    try {
      for (; written < 5 * 1024 * 1024; written += chunk.length) {
        await writeAll(conn, enc.encode(`${chunk.length.toString(16)}\r\n${chunk}\r\n`));
      }
      await writeAll(conn, enc.encode("0\r\n\r\n"));
    } catch {
      // the server answered and closed before the end: fine
    }
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer).catch(() => null);
    conn.close();
    const head = n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
    assert(head.startsWith("HTTP/1.1 413"), head);
    const alive = await fetch(`http://127.0.0.1:${ctx.port}/api/orders?status=%zz`);
    assertEquals(alive.status, 200, "a malformed escape in the query string no longer throws in the guest");
    await alive.body?.cancel();
  } finally {
    await httpTarget.teardown(ctx);
  }
});
