/**
 * The AssemblyScript SDK (sdk/assemblyscript/) against the real engine: tests/fixtures/native_sdk
 * (built once, unoptimized) runs every builder op and filter as host calls answered by
 * answerHostCall inside transactions, so each query document it writes must pass validateQuery;
 * plus the BSON writer's types, JSON both ways, query strings, headers, wildcard routes, binary
 * responses, the UTF-8 HTML writer (against a JavaScript escape), and memory that stays flat over
 * many requests.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import { buildNativeService } from "../../../host/native/build.ts";
import { type Doc, type EngineClient, engineClient, header, json, text } from "./native_harness.ts";

const FIXTURE = new URL("../../fixtures/native_sdk", import.meta.url).pathname;
const SERVICE = "sdk_probe";
/** Pages a small service should need (its static data plus a few GC cycles of garbage). */
const MEMORY_PAGES_FLAT_MAX = 8;

let built: Promise<Uint8Array> | undefined;

function buildFixture(): Promise<Uint8Array> {
  built ??= buildNativeService(FIXTURE, { optimize: false }).then((r) => r.wasm);
  return built;
}

async function withService(body: (client: EngineClient) => Promise<void>): Promise<void> {
  const wasm = await buildFixture();
  await withTempDatabase(async (db) => {
    await db.createStore(`${SERVICE}__items`);
    await body(await engineClient(db, SERVICE, wasm));
  });
}

const names = (rows: Doc[]) => rows.map((r) => r.name);

Deno.test("SDK builder: insert writes every BSON type the engine stores", async () => {
  await withService(async ({ request }) => {
    assertEquals((await request("POST", "/seed")).status, 201);
    const [first] = json(await request("GET", "/find?q=page")) as Doc[];
    assertEquals(Object.keys(first), ["key", "n"]);
    const rows = json(await request("GET", "/find")) as Doc[];
    assertEquals(rows.length, 10);
    const three = rows.find((r) => r.n === 3)!;
    assertEquals(three, {
      key: three.key,
      name: "item 3",
      n: 3,
      big: 30_000_000_000,
      price: 3.5,
      even: false,
      at: new Date(1_700_000_000_003).toISOString(),
      meta: { tag: "low" },
      tags: ["t3", 3],
      raw: { $bytes: btoa("r3") },
      gone: null,
      old: "1969-12-31T23:59:59.999Z",
      leap: "2000-02-29T00:00:00.000Z",
    });
  });
});

Deno.test("SDK builder: filters, order, skip, limit and select compile to valid query documents", async () => {
  await withService(async ({ request }) => {
    await request("POST", "/seed");
    const find = async (q: string) => json(await request("GET", `/find?q=${q}`)) as Doc[];
    assertEquals(names(await find("range")), ["item 2", "item 3", "item 4"]);
    assertEquals(names(await find("in")), ["item 3", "item 1"]);
    assertEquals(names(await find("nin")), ["item 5", "item 6", "item 7"]);
    assertEquals(names(await find("or")), ["item 0", "item 9"]);
    assertEquals(names(await find("not")), ["item 3"]);
    assertEquals((await find("page")).map((r) => r.n), [7, 6, 5]);
    assertEquals(json(await request("GET", "/count")), { count: 10 });
    assertEquals(json(await request("GET", "/count?tag=high")), { count: 5 });
  });
});

Deno.test("SDK builder: update by key and by filter, delete by key and by filter, failures as replies", async () => {
  await withService(async ({ request }) => {
    await request("POST", "/seed");
    const rows = json(await request("GET", "/find")) as Doc[];
    const key = rows.find((r) => r.n === 1)!.key;
    assertEquals(json(await request("POST", `/update?key=${key}`)), { matched: 1, modified: 1 });
    const one = (json(await request("GET", "/find")) as Doc[]).find((r) => r.key === key)!;
    assertEquals([one.name, one.n, "tags" in one], ["renamed", 101, false]);
    assertEquals(json(await request("POST", "/update")), { matched: 5, modified: 5 });
    assertEquals(json(await request("GET", "/count?tag=even")), { count: 5 });
    const even = (json(await request("GET", "/find")) as Doc[]).filter((r) => r.even);
    assertEquals(new Set(even.map((r) => r.at)), new Set(["1970-01-01T00:00:00.000Z"]));
    assertEquals(json(await request("POST", `/delete?key=${key}`)), { deleted: 1 });
    assertEquals(json(await request("POST", "/delete")), { deleted: 2 });
    assertEquals(json(await request("GET", "/count")), { count: 7 });
    assertEquals(json(await request("GET", "/fail")), { ok: false, code: "invalid_argument" });
  });
});

Deno.test("SDK http and json: JSON round trip, query strings, headers, wildcards, bytes, ALL", async () => {
  await withService(async ({ request }) => {
    const value = {
      s: 'quote " backslash \\ tab \t nl \n ctrl \u0001 é 😀',
      n: [0, -1, 2147483647, 2147483648, 1.5, -2.5e-7, 1e21],
      nested: { a: [true, false, null, {}], b: [] },
    };
    const echoed = json(await request("POST", "/echo", JSON.stringify(value)));
    assertEquals(echoed, value);
    assertEquals((await request("POST", "/echo", '{"a":1,}')).status, 400);
    assertEquals((await request("POST", "/echo", `${"[".repeat(100)}${"]".repeat(100)}`)).status, 400);
    const q = json(await request("GET", "/query?x=1&a=caf%C3%A9+au%20lait&a=2"));
    assertEquals(q, {
      a: "café au lait",
      missing: true,
      type: "application/json",
      noAccept: true,
      fixed: "-2.38 100000000000000000000.0 1",
    });
    assertEquals(text(await request("GET", "/files/a/b%20c.txt")), "a/b c.txt");
    const bytes = await request("GET", "/bytes");
    assert(bytes.body instanceof Uint8Array);
    assertEquals([[...bytes.body], header(bytes, "x-kind")], [[0, 255, 7], "raw"]);
    assertEquals(text(await request("PATCH", "/any")), "PATCH 1");
  });
});

/** What the SDK's HTML escape must produce. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const HTML_TEXTS = [
  "",
  "plain",
  `<a href="x">'&'</a>`,
  "é ü 日本 😀 <é>",
  "&&&&",
  "ascii then é then ascii and more ascii <",
  "nul \u0000 inside",
  "x".repeat(300) + "<",
];
/** [value, digits, formatFixed's text]: rounding half away from zero on the scaled value, as before. */
const HTML_FIXED: [number, number, string][] = [
  [1234.5678, 2, "1234.57"],
  [-2.375, 2, "-2.38"],
  [-0.004, 2, "0.00"],
  [0.5, 0, "1"],
  [2.5, 0, "3"],
  [1.005, 2, "1.00"],
  [7, 12, "7.000000000"],
  [7.25, -1, "7"],
  [1e20, 1, "100000000000000000000.0"],
  [123456789.125, 2, "123456789.13"],
  [0, 3, "0.000"],
];

Deno.test("SDK html: Html, StringBuilder, escapeHtml and formatFixed write escaped UTF-8", async () => {
  await withService(async ({ request }) => {
    const mixed = [{}, 1, [], "<x>", { a: 1 }, "ü&"];
    const body = {
      texts: HTML_TEXTS,
      fixed: HTML_FIXED.map(([v, d]) => [v, d]),
      mixed,
      obj: { a: "<1>", b: 2 },
    };
    const reply = await request("POST", "/html", JSON.stringify(body));
    assertEquals(header(reply, "content-type"), "text/html; charset=utf-8");
    const expected = [
      ...HTML_TEXTS.map((s) => `<i>${escapeHtml(s)}|${escapeHtml(s)}|${escapeHtml(s)}|ok</i>`),
      ...HTML_FIXED.map(([, , fixed]) => `${fixed}=${fixed}`),
      "NaN Infinity -Infinity",
      "0 -1 -9223372036854775808 9223372036854775807",
      "&lt;none&gt; # ok",
      "#,#,#,&lt;x&gt;,#,ü&amp;,3",
      "a=&lt;1&gt;;b=#;ok",
      "<b>&amp;</b><b>&amp;</b> 12 <b>&amp;</b>",
      "ok |2=3|null",
    ].join("\n");
    assertEquals(text(reply), expected);
    assertEquals(header(reply, "x-length"), String(new TextEncoder().encode(expected).length));
  });
});

Deno.test("SDK router: memory stays flat over many requests", async () => {
  await withService(async ({ request, harness }) => {
    await request("POST", "/seed");
    for (let i = 0; i < 100; i++) await request("GET", "/find?q=in");
    const pages = harness.memoryPages;
    for (let i = 0; i < 2000; i++) await request("GET", "/find?q=in");
    assertEquals(harness.memoryPages, pages);
    assert(pages <= MEMORY_PAGES_FLAT_MAX, `${pages} pages`);
  });
});
