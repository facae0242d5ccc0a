/**
 * splitRequestUrl (host/http/request_url.ts) agrees with `new URL` on every URL: fixed cases that
 * take the fast path and the fallback (dot segments, "%2e", backslashes, spaces, quotes), and random
 * URLs over an alphabet that mixes plain and special characters.
 */
import { assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { splitRequestUrl } from "../../../host/http/request_url.ts";

function viaUrl(url: string): { path: string; query: string } {
  const u = new URL(url);
  return { path: u.pathname, query: u.search.slice(1) };
}

const CASES = [
  "http://127.0.0.1:8080/",
  "http://127.0.0.1:8080/item/0123abcd?x=1&y=a+b",
  "http://h/list?status=open",
  "http://h/a/../_planck/metrics",
  "http://h/a/%2e%2e/b",
  "http://h/a/./b",
  "http://h/a/.",
  "http://h/a\\b",
  "http://h/a b?c d",
  "http://h/a?it's",
  "http://h/a?x=%zz",
  "http://h/%41",
  "http://h/a?b#frag",
  "http://h/app.css",
  "http://h/.hidden",
  "http://h/a?",
  'http://h/a?q="x"',
  "https://h:1/x?y=<z>",
  "http://h/é?é",
];

Deno.test("splitRequestUrl: fixed cases equal new URL", () => {
  for (const url of CASES) assertEquals(splitRequestUrl(url), viaUrl(url), url);
});

const ALPHABET = "abcXYZ019-._~!$&'()*+,;=:@/?%#\\ \"<>`{}|^[]é\t";

Deno.test("splitRequestUrl: random URLs equal new URL", async () => {
  await forEachSeed("request_url", (seed) => {
    const random = seededRandom(seed);
    for (let i = 0; i < 5_000; i++) {
      let tail = "/";
      const length = Math.floor(random() * 24);
      for (let j = 0; j < length; j++) tail += ALPHABET[Math.floor(random() * ALPHABET.length)];
      const url = `http://127.0.0.1:8080${tail}`;
      let expected: { path: string; query: string } | "invalid";
      try {
        expected = viaUrl(url);
      } catch {
        expected = "invalid";
      }
      if (expected === "invalid") continue;
      assertEquals(splitRequestUrl(url), expected, `${url} (seed ${seed})`);
    }
  });
});
