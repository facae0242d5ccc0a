/** Route collisions between services: exact overlap of patterns, prefixes and methods. */
import { assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import type { ServiceManifest } from "../../../protocol/abi.ts";
import { checkRouteCollisions, patternsOverlap } from "../../../host/guest/route_overlap.ts";

function manifest(name: string, prefix: string, routes: [string, string][]): ServiceManifest {
  return {
    name,
    version: "1",
    abi: 1,
    tier: "js",
    prefix,
    routes: routes.map(([method, path]) => ({ method, path })),
    indexes: [],
    assets: {},
    topics: [],
    subscriptions: [],
  };
}

Deno.test("patternsOverlap decides literal, param and wildcard segments exactly", () => {
  const cases: [string, string, boolean][] = [
    ["/a", "/a", true],
    ["/a", "/b", false],
    ["/a/:id", "/a/x", true],
    ["/a/:id", "/a", false],
    ["/a/*", "/a", true],
    ["/a/*", "/a/b/c", true],
    ["/a/*", "/ab", false],
    ["/:x/b", "/a/:y", true],
    ["/:x/b", "/a/c", false],
    ["/", "/", true],
    ["/", "/a", false],
  ];
  for (const [a, b, want] of cases) {
    assertEquals(patternsOverlap(a, b), want, `${a} vs ${b}`);
    assertEquals(patternsOverlap(b, a), want, `${b} vs ${a}`);
  }
});

Deno.test("checkRouteCollisions refuses overlapping services naming both, allows disjoint ones", async () => {
  const orders = manifest("orders", "", [["GET", "/orders/:id"], ["POST", "/orders"]]);
  const billing = manifest("billing", "/billing", [["GET", "/billing/invoices"]]);
  checkRouteCollisions(billing, [orders]);
  checkRouteCollisions(manifest("other", "", [["DELETE", "/orders/:id"]]), [orders]); // other method
  checkRouteCollisions(manifest("orders", "", [["GET", "/orders/:id"]]), [orders]); // a redeploy
  const clash = await assertRejectsCode(
    () => checkRouteCollisions(manifest("shop", "", [["GET", "/orders/latest"]]), [orders, billing]),
    "conflict",
  );
  assertEquals(
    clash.message.includes('"shop"') && clash.message.includes('"orders"') &&
      clash.message.includes("GET /orders/:id"),
    true,
    clash.message,
  );
  const nested = await assertRejectsCode(
    () => checkRouteCollisions(manifest("sub", "/billing/v2", [["GET", "/billing/v2/x"]]), [orders, billing]),
    "conflict",
  );
  assertEquals(nested.message.includes("prefix /billing"), true, nested.message);
  const under = await assertRejectsCode(
    () => checkRouteCollisions(manifest("loose", "", [["ALL", "/billing/:any"]]), [billing]),
    "conflict",
  );
  assertEquals(under.message.includes('"billing"'), true, under.message);
});
