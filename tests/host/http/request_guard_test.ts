/** The request head's copy and limits (host/http/request_guard.ts): requestHeaders and refuseHead. */
import { assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { refuseHead, requestHeaders } from "../../../host/http/request_guard.ts";
import { HTTP_HEADER_BYTES_MAX, HTTP_HEADERS_MAX } from "../../../host/limits.ts";

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const VALUE_CHARS = NAME_CHARS + " ;=,/:.\"'é";

function pick(random: () => number, chars: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += chars[Math.floor(random() * chars.length)];
  return out;
}

Deno.test("requestHeaders gives the pairs of [...headers] in the same order, and their size", async () => {
  await forEachSeed("requestHeaders", (seed) => {
    const random = seededRandom(seed);
    for (let round = 0; round < 200; round++) {
      const names = Array.from(
        { length: 1 + Math.floor(random() * 6) },
        () => pick(random, NAME_CHARS, 1 + Math.floor(random() * 8)),
      );
      const init: [string, string][] = [];
      // Repeated names (any case) are combined by Headers; both ways must agree on it.
      for (let i = 0; i < Math.floor(random() * 12); i++) {
        const name = names[Math.floor(random() * names.length)];
        init.push([
          random() < 0.5 ? name : name.toUpperCase(),
          pick(random, VALUE_CHARS, Math.floor(random() * 20)).trim(),
        ]);
      }
      const request = new Request("http://127.0.0.1/x", { headers: init });
      const expected = [...request.headers];
      const got = requestHeaders(request);
      assertEquals(got.list, expected);
      assertEquals(got.bytes, expected.reduce((n, [name, value]) => n + name.length + value.length, 0));
    }
  });
});

Deno.test("refuseHead answers 431 past HTTP_HEADERS_MAX headers or HTTP_HEADER_BYTES_MAX bytes, else null", () => {
  const url = "http://127.0.0.1/x";
  const many = new Request(url, {
    headers: Array.from({ length: HTTP_HEADERS_MAX + 1 }, (_, i) => [`x-h${i}`, "1"] as [string, string]),
  });
  assertEquals(refuseHead(url, requestHeaders(many), "id")?.status, 431);
  const large = new Request(url, { headers: { "x-big": "b".repeat(HTTP_HEADER_BYTES_MAX) } });
  assertEquals(refuseHead(url, requestHeaders(large), "id")?.status, 431);
  const fine = new Request(url, { headers: { host: "127.0.0.1", accept: "*/*" } });
  assertEquals(refuseHead(url, requestHeaders(fine), "id"), null);
});
