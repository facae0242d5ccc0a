/**
 * Multipart form bodies through the framework under Deno: bodies serialized by Deno's own
 * `FormData` (as `fetch` sends them) and hand-written ones for the grammar's corners, read with
 * `c.req.form()`, `c.req.files()` and `c.valid(schema, "form")`; every malformed case answers 400
 * naming what is wrong, and each limit answers 413.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { createApp } from "../../framework/app.ts";
import { HttpError, type RequestData, RequestView } from "../../framework/context.ts";
import { MULTIPART_PART_HEADER_BYTES_MAX, MULTIPART_PARTS_MAX } from "../../framework/multipart.ts";
import { schema } from "../../framework/schema.ts";

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** The RequestData the host would pass for `request`. */
async function requestData(request: Request): Promise<RequestData> {
  return {
    id: "req-1",
    method: request.method,
    path: new URL(request.url).pathname,
    query: "",
    headers: [...request.headers],
    body: new Uint8Array(await request.arrayBuffer()),
  };
}

async function viewOf(form: FormData): Promise<RequestView> {
  return new RequestView(await requestData(new Request("http://x/up", { method: "POST", body: form })));
}

/** A hand-written body with boundary "b0undary" (lines joined with CRLF). */
function handMade(lines: string[], contentType = "multipart/form-data; boundary=b0undary"): RequestView {
  const body = new TextEncoder().encode(lines.join("\r\n"));
  return new RequestView({
    id: "req-2",
    method: "POST",
    path: "/up",
    query: "",
    headers: [["Content-Type", contentType]],
    body,
  });
}

/** The HttpError `fn` throws. */
function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error("expected an HttpError");
}

Deno.test("RequestView.form and files split a FormData body into text fields and files", async () => {
  const form = new FormData();
  form.append("title", "line one\r\nline two");
  form.append("note", "naïve ✓");
  form.append("empty", "");
  form.append("title", "last wins");
  form.append("doc", new File([ALL_BYTES], "all.bin", { type: "application/x-test" }));
  form.append("doc", new File(["hello"], 'quote".txt', { type: "text/plain" }));
  form.append("none", new File([], ""));
  const view = await viewOf(form);
  assertEquals(view.form(), { title: "last wins", note: "naïve ✓", empty: "" });
  const files = view.files();
  assertEquals(Object.keys(files), ["doc", "none"]);
  assertEquals(files.doc.map((f) => [f.filename, f.contentType]), [
    ["all.bin", "application/x-test"],
    ['quote".txt', "text/plain"],
  ]);
  assertEquals([...files.doc[0].bytes], [...ALL_BYTES]);
  assertEquals(new TextDecoder().decode(files.doc[1].bytes), "hello");
  assertEquals(files.none[0].filename, "");
  assertEquals(files.none[0].bytes.length, 0);
  assert(view.files() === files, "the body is parsed once");
});

Deno.test("RequestView.form keeps CRLF inside a field value and files of any size", async () => {
  const form = new FormData();
  form.append("crlf", "\r\n--not-a-boundary\r\n\r\n");
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 255);
  form.append("big", new File([big], "big.bin"));
  const view = await viewOf(form);
  assertEquals(view.form().crlf, "\r\n--not-a-boundary\r\n\r\n");
  assertEquals(view.files().big[0].bytes, big);
});

Deno.test("RequestView.form still parses urlencoded bodies, and files is empty for them", async () => {
  const view = new RequestView(
    await requestData(
      new Request("http://x/up", { method: "POST", body: new URLSearchParams({ a: "1 2" }) }),
    ),
  );
  assertEquals(view.form(), { a: "1 2" });
  assertEquals(view.files(), {});
});

Deno.test("Context.valid(schema, 'form') validates multipart text fields through an app", async () => {
  const app = createApp();
  const order = schema.object({ title: schema.string({ min: 1 }), amount: schema.number({ min: 0 }) });
  app.post("/up", (c) => {
    const value = c.valid(order, "form");
    return c.json({ ...value, files: Object.keys(c.req.files()) });
  });
  const good = new FormData();
  good.append("title", "Tea");
  good.append("amount", "3.5");
  good.append("receipt", new File(["x"], "r.txt"));
  const ok = await app.fetch(await requestData(new Request("http://x/up", { method: "POST", body: good })));
  assertEquals([ok.status, JSON.parse(ok.body as string)], [200, {
    title: "Tea",
    amount: 3.5,
    files: ["receipt"],
  }]);
  const bad = new FormData();
  bad.append("amount", "x");
  bad.append("title", new File(["not a field"], "title.txt"));
  const rejected = await app.fetch(
    await requestData(new Request("http://x/up", { method: "POST", body: bad })),
  );
  assertEquals(rejected.status, 400);
  const issues = JSON.parse(rejected.body as string).issues as { field: string }[];
  assertEquals(issues.map((i) => i.field), ["title", "amount"], "a file part is not a text field");
});

Deno.test("RequestView.form reads hand-written bodies: preamble, padding, defaults, quoted boundary", () => {
  const view = handMade([
    "This preamble is ignored",
    "--b0undary  ",
    'Content-Disposition: form-data; name="plain"',
    "",
    "text",
    "--b0undary",
    "content-disposition: FORM-DATA; name=bare; filename*=UTF-8''na%C3%AFve%20%E2%9C%93.txt",
    "",
    "file",
    "--b0undary",
    'Content-Disposition: form-data; name="a%22b%0D%0Ac"; filename="C:\\tmp\\x.txt"',
    "",
    "",
    "--b0undary",
    'Content-Disposition: form-data; name="__proto__"',
    "",
    "proto",
    "--b0undary--",
    "epilogue is ignored",
  ], 'multipart/form-data; charset=utf-8; boundary="b0undary"');
  const fields = view.form();
  assertEquals(Object.keys(fields), ["plain", "__proto__"]);
  assertEquals([fields.plain, Object.getOwnPropertyDescriptor(fields, "__proto__")?.value], [
    "text",
    "proto",
  ]);
  const files = view.files();
  assertEquals(files.bare[0].filename, "naïve ✓.txt");
  assertEquals(files.bare[0].contentType, "application/octet-stream");
  assertEquals(files['a"b\r\nc'][0].filename, "C:\\tmp\\x.txt");
  assertEquals(files['a"b\r\nc'][0].bytes.length, 0);
});

const PART = ['Content-Disposition: form-data; name="a"', "", "1"];

const MALFORMED: [string, string[], string, string][] = [
  [
    "no boundary parameter",
    ["--b0undary", ...PART, "--b0undary--"],
    "multipart/form-data",
    "has no boundary",
  ],
  [
    "a boundary with a bad character",
    ["--b0undary", ...PART],
    "multipart/form-data; boundary=a@b",
    "is not valid",
  ],
  ["a boundary absent from the body", ["--other", ...PART, "--other--"], "", "does not occur"],
  ["an empty body", [""], "", "does not occur"],
  ["no closing delimiter", ["--b0undary", ...PART], "", "part 1 has no closing delimiter"],
  [
    "a body ending after a delimiter",
    ["--b0undary", ...PART, "--b0undary"],
    "",
    "without the closing delimiter",
  ],
  [
    "junk after a delimiter",
    ["--b0undaryX", ...PART, "--b0undary--"],
    "",
    "before part 1 is not followed by CRLF",
  ],
  [
    "no Content-Disposition",
    ["--b0undary", "Content-Type: text/plain", "", "1", "--b0undary--"],
    "",
    "no Content-Disposition",
  ],
  [
    "no name",
    ["--b0undary", "Content-Disposition: form-data", "", "1", "--b0undary--"],
    "",
    "part 1 has no name",
  ],
  [
    "not form-data",
    ["--b0undary", 'Content-Disposition: attachment; name="a"', "", "1", "--b0undary--"],
    "",
    "is not form-data",
  ],
  [
    "a header without colon",
    ["--b0undary", ...PART, "--b0undary", "Oops", "", "x", "--b0undary--"],
    "",
    'part 2 has a malformed header line "Oops"',
  ],
  [
    "headers without blank line",
    ["--b0undary", 'Content-Disposition: form-data; name="a"'],
    "",
    "do not end with a blank line",
  ],
  [
    "a bad filename*",
    ["--b0undary", "Content-Disposition: form-data; name=a; filename*=UTF-8''%E2", "", "", "--b0undary--"],
    "",
    "malformed filename*",
  ],
];

Deno.test("RequestView.form answers 400 naming what is wrong with a malformed multipart body", () => {
  for (const [label, lines, contentType, expected] of MALFORMED) {
    const error = httpError(() => handMade(lines, contentType || undefined).form());
    assertEquals(error.status, 400, label);
    assert(error.message.includes(expected), `${label}: ${error.message}`);
    assertEquals(JSON.parse(error.reply.body as string).error, "invalid_argument", label);
    assertEquals(httpError(() => handMade(lines, contentType || undefined).files()).status, 400, label);
  }
});

Deno.test("RequestView.form accepts MULTIPART_PARTS_MAX parts and answers 413 past it", () => {
  const parts = (count: number) => [
    ...Array.from(
      { length: count },
      (_, i) => `--b0undary\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${i}`,
    ),
    "--b0undary--",
  ];
  assertEquals(Object.keys(handMade(parts(MULTIPART_PARTS_MAX)).form()).length, MULTIPART_PARTS_MAX);
  const error = httpError(() => handMade(parts(MULTIPART_PARTS_MAX + 1)).form());
  assertEquals(error.status, 413);
  assert(error.message.includes("MULTIPART_PARTS_MAX (1000)"), error.message);
  assertEquals(JSON.parse(error.reply.body as string).error, "limit_exceeded");
});

Deno.test("RequestView.form answers 413 when a part's headers pass MULTIPART_PART_HEADER_BYTES_MAX", () => {
  const header = (bytes: number) => `X-Pad: ${"p".repeat(bytes - 7)}`;
  const body = (bytes: number) => ["--b0undary", ...PART.slice(0, 1), header(bytes), "", "1", "--b0undary--"];
  // The header block is the disposition line, CRLF and the pad line: keep it exactly at the limit.
  const limit = MULTIPART_PART_HEADER_BYTES_MAX - PART[0].length - 2;
  assertEquals(handMade(body(limit)).form(), { a: "1" });
  const error = httpError(() => handMade(body(limit + 1)).form());
  assertEquals(error.status, 413);
  assert(error.message.includes("MULTIPART_PART_HEADER_BYTES_MAX (16384 bytes)"), error.message);
});
