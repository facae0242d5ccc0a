import { assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { decodeFrame, encodeFrame, FrameReader, READ_CHUNK_BYTES } from "../../protocol/frame.ts";

Deno.test("encodeFrame prefixes the BSON length (exclusive of the prefix), little-endian", () => {
  const frame = encodeFrame({ id: 1, op: "ping" }, 1024);
  const length = new DataView(frame.buffer).getUint32(0, true);
  assertEquals(length, frame.length - 4);
  assertEquals(new DataView(frame.buffer).getInt32(4, true), length);
  assertEquals(decodeFrame(frame.subarray(4)), { id: 1, op: "ping" });
});

Deno.test("FrameReader reassembles frames split at every byte and several per chunk", () => {
  const frames = [0, 1, 2].map((i) => encodeFrame({ id: i + 1, op: "ping", pad: "x".repeat(i * 50) }, 4096));
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const f of frames) {
    stream.set(f, offset);
    offset += f.length;
  }
  for (const step of [1, 3, 7, stream.length]) {
    const reader = new FrameReader(4096);
    const ids: unknown[] = [];
    for (let at = 0; at < stream.length; at += step) {
      reader.push(stream.subarray(at, at + step));
      for (let body = reader.next(); body !== null; body = reader.next()) ids.push(decodeFrame(body).id);
    }
    assertEquals(ids, [1, 2, 3], `step ${step}`);
    assertEquals(reader.pendingBytes, 0);
  }
});

Deno.test("FrameReader rejects an oversized frame from its prefix alone", async () => {
  const reader = new FrameReader(100);
  reader.push(new Uint8Array([101, 0, 0, 0]));
  await assertRejectsCode(() => reader.next(), "limit_exceeded", "frame_bytes");
});

Deno.test("FrameReader rejects a prefix that disagrees with the document, and tiny lengths", async () => {
  const frame = encodeFrame({ id: 1 }, 100);
  new DataView(frame.buffer).setInt32(4, 6, true);
  const reader = new FrameReader(100);
  reader.push(frame);
  await assertRejectsCode(() => reader.next(), "invalid_argument", "prefix");
  const tiny = new FrameReader(100);
  tiny.push(new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0]));
  await assertRejectsCode(() => tiny.next(), "invalid_argument", "below");
});

Deno.test("FrameReader handles a frame larger than its read buffer and shrinks afterwards", () => {
  const big = encodeFrame({ id: 1, blob: "y".repeat(READ_CHUNK_BYTES * 3) }, 1 << 20);
  const reader = new FrameReader(1 << 20);
  for (let at = 0; at < big.length; at += READ_CHUNK_BYTES) {
    reader.push(big.subarray(at, at + READ_CHUNK_BYTES));
  }
  const body = reader.next()!;
  assertEquals((decodeFrame(body).blob as string).length, READ_CHUNK_BYTES * 3);
  assertEquals(reader.next(), null);
});

Deno.test("encodeFrame refuses a document over the limit with limit_exceeded", async () => {
  await assertRejectsCode(() => encodeFrame({ s: "z".repeat(200) }, 100), "limit_exceeded");
});
