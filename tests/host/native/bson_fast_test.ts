/** The hand-written BSON of the native boundary agrees byte for byte and value for value with the bson package. */
import { Binary, BSON, Long, ObjectId } from "bson";
import { assertEquals } from "../../_util/assert.ts";
import { decodeFast, RequestWriter, Utf8Body } from "../../../host/native/bson_fast.ts";

function writeRequest(request: Parameters<RequestWriter["write"]>[0]): Uint8Array {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
  let bound = 0;
  const { ptr, length } = new RequestWriter().write(request, memory, (n) => {
    bound = n;
    if (n > memory.buffer.byteLength - 64) memory.grow(Math.ceil(n / 65536));
    return 64;
  }, (ptr, n) => assertEquals(ptr + n <= memory.buffer.byteLength, true));
  assertEquals(length <= bound, true);
  return new Uint8Array(memory.buffer).slice(ptr, ptr + length);
}

Deno.test("RequestWriter writes exactly what BSON.serialize writes for the request document", () => {
  const requests = [
    { id: "a-1", method: "GET", path: "/item/x", query: "", headers: [], body: null },
    {
      id: "b-2",
      method: "POST",
      path: "/é/ü",
      query: "q=%20&x=ü",
      headers: [["host", "127.0.0.1:3000"], ["x-long", "v".repeat(200)], ["x-latin", "caf\u00e9"]] as [
        string,
        string,
      ][],
      body: new Uint8Array([1, 2, 3, 0, 255]),
    },
    {
      id: "c",
      method: "PUT",
      path: "/" + "p".repeat(70_000),
      query: "",
      headers: Array.from({ length: 12 }, (_, i) => [`h${i}`, `${i}`] as [string, string]),
      body: new Uint8Array(0),
    },
  ];
  for (const request of requests) {
    const want = BSON.serialize({
      ...request,
      body: request.body === null ? null : new Binary(request.body),
    });
    assertEquals(writeRequest(request), new Uint8Array(want));
  }
});

const CALL = { bigInt64: true, bytes: false };

/** The bson package promotes binary to a Node Buffer; the fast decoder gives a plain Uint8Array. */
function plainBody(doc: Record<string, unknown>): Record<string, unknown> {
  return doc.body instanceof Uint8Array ? { ...doc, body: new Uint8Array(doc.body) } : doc;
}
const RESULT = { bigInt64: false, bytes: true };

Deno.test("decodeFast decodes as BSON.deserialize with the same options", () => {
  const docs: Record<string, unknown>[] = [
    { op: "get", store: "items", key: "0123456789abcdef0123456789abcdef" },
    {
      op: "find",
      store: "items",
      filter: { and: [{ field: "status", op: "eq", value: "open" }, { field: "n", op: "gt", value: 2.5 }] },
      orderBy: [{ field: "created", direction: "desc" }],
      limit: 20,
      flags: [true, false, null],
      when: new Date(1_700_000_000_123),
      big: 9_007_199_254_740_993n,
      small: 42n,
      text: "é ü \u0000 inside, 🙂",
      nested: { a: { b: { c: [[1], [2, [3]]] } } },
    },
    { status: 200, headers: [["content-type", "text/html"]], body: "<p>é</p>" },
    { status: 201, headers: [], body: new Binary(new Uint8Array([5, 6, 7])) },
    { status: 204, headers: [], body: null },
    {},
  ];
  for (const doc of docs) {
    const bytes = BSON.serialize(doc);
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 3);
    const call = decodeFast(padded, 3, bytes.length, CALL);
    const hasBinary = doc.body instanceof Binary;
    assertEquals(
      call,
      hasBinary ? undefined : BSON.deserialize(bytes, { useBigInt64: true, promoteValues: true }),
    );
    const result = decodeFast(padded, 3, bytes.length, RESULT);
    if ("big" in doc) assertEquals(result, undefined); // an int64 past 2^53 stays a Long: the bson package's
    else assertEquals(result, plainBody(BSON.deserialize(bytes, { promoteBuffers: true })));
  }
});

Deno.test("decodeFast leaves to the bson package what it does not decode, and never reads out of bounds", () => {
  const others = [
    { id: new ObjectId() },
    { re: /x/g },
    { long: Long.fromString("123") },
    { bin: new Binary(new Uint8Array([1]), 4) },
    JSON.parse('{"__proto__": {"polluted": true}}'),
  ];
  for (const doc of others) {
    const bytes = BSON.serialize(doc);
    if (!("long" in doc)) assertEquals(decodeFast(bytes, 0, bytes.length, RESULT), undefined);
  }
  const good = BSON.serialize({ a: "xyz", b: [1, 2], c: { d: 1.5 } });
  for (let cut = 0; cut < good.length; cut++) {
    assertEquals(decodeFast(good.subarray(0, cut), 0, cut, RESULT), undefined);
    const flipped = good.slice();
    flipped[cut] ^= 0xff;
    const decoded = decodeFast(flipped, 0, flipped.length, RESULT);
    if (decoded !== undefined) {
      let reference: unknown;
      try {
        reference = BSON.deserialize(flipped, { promoteBuffers: true });
      } catch {
        reference = "throws";
      }
      assertEquals(
        decoded,
        reference === "throws" ? reference : plainBody(reference as Record<string, unknown>),
        `byte ${cut} flipped`,
      );
    }
  }
  assertEquals(decodeFast(good, 0, good.length + 1, RESULT), undefined);
  assertEquals(decodeFast(good, 0, 4, RESULT), undefined);
});

Deno.test("decodeFast with utf8Body keeps a top-level string body as its checked UTF-8 bytes", () => {
  const options = { bigInt64: false, bytes: true, utf8Body: true };
  const bytes = BSON.serialize({ status: 200, headers: [], body: "<p>é · 🙂</p>", nested: { body: "x" } });
  const doc = decodeFast(bytes, 0, bytes.length, options)!;
  assertEquals(doc.body instanceof Utf8Body, true);
  assertEquals(new TextDecoder().decode((doc.body as Utf8Body).bytes), "<p>é · 🙂</p>");
  assertEquals(doc.nested, { body: "x" });
  const invalid = BSON.serialize({ status: 200, body: "ab" });
  invalid[invalid.indexOf(0x61)] = 0xff; // "ab" -> "\xffb": not UTF-8
  assertEquals(decodeFast(invalid, 0, invalid.length, options), undefined);
});
