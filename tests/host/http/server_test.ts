/** The app port's reply: the guest's status, headers and body, plus the request id. */
import { assertEquals } from "../../_util/assert.ts";
import { ServiceRouter } from "../../../host/http/router.ts";
import { handleAppRequest } from "../../../host/http/server.ts";
import type { GuestResponse } from "../../../protocol/abi.ts";

const manifest = {
  name: "svc",
  version: "1",
  abi: 1,
  tier: "native",
  prefix: "/svc",
  routes: [{ method: "ALL", path: "/svc/*" }],
  indexes: [],
  assets: {},
};

function serveWith(reply: GuestResponse): (request: Request) => Promise<Response> {
  const registry = { generation: 1, versions: () => [{ manifest }], dispatch: () => Promise.resolve(reply) };
  const router = new ServiceRouter();
  return (request) => handleAppRequest(registry as never, router, request);
}

Deno.test("handleAppRequest answers with the guest's status, headers and body and the request id", async () => {
  const cases: [GuestResponse, string, string | null, string][] = [
    [
      { status: 200, headers: [["Content-Type", "text/html"]], body: "<p>é</p>" },
      "GET",
      "text/html",
      "<p>é</p>",
    ],
    [{ status: 200, headers: [], body: "plain" }, "GET", "text/plain;charset=UTF-8", "plain"],
    [
      { status: 201, headers: [["content-type", "a/b"]], body: new Uint8Array([104, 105]) },
      "POST",
      "a/b",
      "hi",
    ],
    [{ status: 200, headers: [], body: new Uint8Array([104]) }, "GET", null, "h"],
    [{ status: 200, headers: [["content-type", "text/html"]], body: "<p>x</p>" }, "HEAD", "text/html", ""],
    [{ status: 204, headers: [], body: null }, "DELETE", null, ""],
    [{ status: 303, headers: [["location", "/svc/x"]], body: "" }, "POST", null, ""],
  ];
  for (const [reply, method, contentType, text] of cases) {
    const response = await serveWith(reply)(new Request("http://h/svc/x", { method }));
    assertEquals(response.status, reply.status);
    assertEquals(response.headers.get("content-type"), contentType, JSON.stringify(reply.headers));
    assertEquals(await response.text(), text);
    assertEquals(/^[a-z0-9]+-[a-z0-9]+$/.test(response.headers.get("x-request-id") ?? ""), true);
  }
  const cookies = await serveWith({
    status: 200,
    headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-request-id", "guest"]],
    body: null,
  })(new Request("http://h/svc/x"));
  assertEquals(cookies.headers.getSetCookie(), ["a=1", "b=2"]);
  assertEquals(cookies.headers.get("x-request-id") === "guest", false);
});

Deno.test("a path with malformed percent escapes is routed, not a 500 from the host", async () => {
  const reply: GuestResponse = { status: 200, headers: [], body: "routed" };
  const response = await serveWith(reply)(new Request("http://h/svc/item/%E0%A4%A"));
  assertEquals([response.status, await response.text()], [200, "routed"]);
});

Deno.test("HEAD is the host's: the guest is asked GET, the answer has the headers and no body", async () => {
  const seen: string[] = [];
  const reply: GuestResponse = { status: 200, headers: [["content-type", "text/html"]], body: "<p>x</p>" };
  const registry = {
    generation: 1,
    versions: () => [{ manifest: { ...manifest, routes: [{ method: "GET", path: "/svc/page" }] } }],
    dispatch: (_service: string, request: { method: string }, route: string) => {
      seen.push(`${request.method} ${route}`);
      return Promise.resolve(reply);
    },
  };
  const router = new ServiceRouter();
  const response = await handleAppRequest(
    registry as never,
    router,
    new Request("http://h/svc/page", { method: "HEAD" }),
  );
  assertEquals([response.status, response.headers.get("content-type"), await response.text()], [
    200,
    "text/html",
    "",
  ]);
  assertEquals(seen, ["GET GET /svc/page"]);
});
