/** Route patterns: captures, the trailing `*`, percent-decoding, and malformed escapes kept as sent. */
import { assertEquals } from "../_util/assert.ts";
import { compilePattern, matchPattern, Router } from "../../framework/router.ts";

Deno.test("matchPattern captures segments and the rest, percent-decoded", () => {
  assertEquals(matchPattern(compilePattern("/orders/:id"), "/orders/a%20b"), { id: "a b" });
  assertEquals(matchPattern(compilePattern("/orders/:id"), "/orders/1/"), { id: "1" });
  assertEquals(matchPattern(compilePattern("/files/*"), "/files/a/b.txt"), { "*": "a/b.txt" });
  assertEquals(matchPattern(compilePattern("/orders/:id"), "/orders"), null);
});

Deno.test("matchPattern keeps a segment with malformed escapes as sent instead of throwing", () => {
  assertEquals(matchPattern(compilePattern("/item/:key"), "/item/%E0%A4%A"), { key: "%E0%A4%A" });
  assertEquals(matchPattern(compilePattern("/item/:key"), "/item/100%"), { key: "100%" });
});

Deno.test("Router tells 404 from 405 and lists the allowed methods", () => {
  const router = new Router<string>();
  router.add("get", "/a/:x", "get-a");
  router.add("POST", "/a/:x", "post-a");
  const found = router.match("GET", "/a/1");
  assertEquals(found.kind === "found" && found.route.handler, "get-a");
  // HEAD is the host's: it runs it as GET (host/http/server.ts), so a guest router never maps it.
  assertEquals(router.match("HEAD", "/a/1"), { kind: "method_not_allowed", allow: ["GET", "POST"] });
  assertEquals(router.match("DELETE", "/a/1"), { kind: "method_not_allowed", allow: ["GET", "POST"] });
  assertEquals(router.match("GET", "/b"), { kind: "not_found" });
});
