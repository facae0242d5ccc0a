/**
 * Multipart forms end to end: a tiny service is built in a temp dir, deployed to a real server and
 * driven with `fetch` + `FormData`, so the body Deno serializes crosses the HTTP port, the host and
 * the QuickJS guest, where `c.req.form()`, `c.req.files()` and `c.valid(schema, "form")` read it.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { withServer } from "../host/test_server.ts";

const SERVICE = `import { createApp, schema } from "planck";
const app = createApp();
const upload = schema.object({ title: schema.string({ min: 1 }), count: schema.number({ integer: true }) });
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
app.post("/upload", (c) => {
  const valid = c.valid(upload, "form");
  const files = {};
  for (const [name, list] of Object.entries(c.req.files())) {
    files[name] = list.map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.bytes.length, hex: hex(f.bytes) }));
  }
  return c.json({ fields: c.req.form(), valid, files });
});
app.post("/echo-file", (c) => {
  const file = c.req.files().file?.[0];
  return file === undefined ? c.text("no file", 400) : c.body(file.bytes, file.contentType);
});
export default app;
`;

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("multipart forms reach a deployed service: fields, CRLF values, binary files, validation", async () => {
  const serviceDir = await Deno.makeTempDir({ prefix: "planck_multipart_" });
  try {
    await Deno.writeTextFile(
      `${serviceDir}/planck.json`,
      JSON.stringify({ name: "uploads", version: "1.0.0" }),
    );
    await Deno.writeTextFile(`${serviceDir}/service.ts`, SERVICE);
    const { wasm } = await buildService(serviceDir);
    await withServer(async ({ server, admin }) => {
      const client = await connect(admin);
      await client.request("deploy", { wasm });
      client.close();
      const base = `http://127.0.0.1:${server.ports.http}`;

      const form = new FormData();
      form.append("title", "first line\r\nsecond line ✓");
      form.append("count", "42");
      form.append("file", new File([ALL_BYTES], "all bytes.bin", { type: "application/x-bytes" }));
      form.append("file", new File(["second"], "second.txt", { type: "text/plain" }));
      const response = await fetch(`${base}/upload`, { method: "POST", body: form });
      assertEquals(response.status, 200);
      const echoed = await response.json();
      assertEquals(echoed.fields, { title: "first line\r\nsecond line ✓", count: "42" });
      assertEquals(echoed.valid, { title: "first line\r\nsecond line ✓", count: 42 });
      assertEquals(echoed.files, {
        file: [
          { filename: "all bytes.bin", contentType: "application/x-bytes", size: 256, hex: hex(ALL_BYTES) },
          {
            filename: "second.txt",
            contentType: "text/plain",
            size: 6,
            hex: hex(new TextEncoder().encode("second")),
          },
        ],
      });

      const single = new FormData();
      single.append("file", new File([ALL_BYTES], "all.bin", { type: "application/octet-stream" }));
      const echo = await fetch(`${base}/echo-file`, { method: "POST", body: single });
      assertEquals(new Uint8Array(await echo.arrayBuffer()), ALL_BYTES);

      const invalid = new FormData();
      invalid.append("count", "1.5");
      const rejected = await fetch(`${base}/upload`, { method: "POST", body: invalid });
      assertEquals(rejected.status, 400);
      assertEquals((await rejected.json()).issues.map((i: { field: string }) => i.field), ["title", "count"]);

      const malformed = await fetch(`${base}/upload`, {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=xyz" },
        body: '--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nno end',
      });
      assertEquals(malformed.status, 400);
      const problem = await malformed.json();
      assertEquals(problem.error, "invalid_argument");
      assert(problem.message.includes("part 1 has no closing delimiter"), problem.message);
    });
  } finally {
    await Deno.remove(serviceDir, { recursive: true });
  }
});
