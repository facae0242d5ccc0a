/**
 * Path traversal in `planck build`, `deploy` and static assets (docs/security.md, "Paths"): a
 * planck.json name cannot place the output outside the project, symbolic links under static/ are not
 * followed (a file outside the project never enters the bundle), an upload whose manifest names a
 * path-like service is refused, and request paths with `..` (raw or percent-encoded) never reach a
 * file: assets are answered from the bundle only.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";
import { validateUpload } from "../../host/services/upload.ts";
import { assemble, customName, customSection, sections } from "../fuzz/wasm_sections.ts";

const SECRET = "secret-bytes-outside-the-project-7f3a";
const SERVICE = `import { createApp } from "planck";
const app = createApp();
app.get("/ok", (c) => c.text("ok"));
export default app;
`;

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    return error instanceof PlanckError ? error.code : String(error);
  }
}

Deno.test("build, deploy and static paths do not traverse out of their place", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_paths_" });
  const project = `${root}/project`;
  try {
    await Deno.mkdir(`${project}/static/sub`, { recursive: true });
    await Deno.mkdir(`${root}/outside`);
    await Deno.writeTextFile(`${root}/secret.txt`, SECRET);
    await Deno.writeTextFile(`${root}/outside/inner.txt`, SECRET);
    await Deno.writeTextFile(`${project}/service.ts`, SERVICE);
    await Deno.writeTextFile(`${project}/static/real.txt`, "real");
    await Deno.writeTextFile(`${project}/static/sub/deep.txt`, "deep");
    await Deno.symlink(`${root}/secret.txt`, `${project}/static/link.txt`);
    await Deno.symlink(`${root}/outside`, `${project}/static/linkdir`);

    await Deno.writeTextFile(
      `${project}/planck.json`,
      JSON.stringify({ name: "../../evil", entry: "service.ts" }),
    );
    assertEquals(
      await codeOf(() => buildService(project)),
      "invalid_argument",
      "a path-like name is refused",
    );

    await Deno.writeTextFile(
      `${project}/planck.json`,
      JSON.stringify({ name: "paths", entry: "service.ts" }),
    );
    const built = await buildService(project);
    assertEquals(Object.keys(built.manifest.assets).sort(), ["/static/real.txt", "/static/sub/deep.txt"]);
    const packed = new TextDecoder().decode(built.wasm);
    const encoded = btoa(SECRET).replace(/=+$/, ""); // assets are packed in base64, each from its first byte
    assert(!packed.includes(SECRET) && !packed.includes(encoded), "nothing outside the project is packed");
    assert(packed.includes(btoa("real").replace(/=+$/, "")), "the check above would see a packed file");

    const withManifest = (edit: (manifest: Record<string, unknown>) => void): Uint8Array => {
      const parts = sections(built.wasm).map((section) => {
        if (customName(section) !== "planck.manifest") return section;
        const manifest = { ...built.manifest } as unknown as Record<string, unknown>;
        edit(manifest);
        return customSection("planck.manifest", new TextEncoder().encode(JSON.stringify(manifest)));
      });
      return assemble(parts);
    };
    for (const name of ["../x", "a/b", "..", "x\0", "sys_x", "A"]) {
      const upload = withManifest((m) => m.name = name);
      assertEquals(
        await codeOf(() => validateUpload(upload)),
        "invalid_argument",
        `name ${JSON.stringify(name)}`,
      );
    }
    const hostPath = withManifest((m) => m.assets = { "/_planck/metrics": "text/plain" });
    assertEquals(await codeOf(() => validateUpload(hostPath)), "invalid_argument", "host paths are reserved");

    const config = defaultConfig();
    config.dataDir = `${root}/data`;
    config.ports = { wire: 0, http: 0, workbench: 0 };
    config.shutdown.drainTimeoutMs = 1_000;
    const server = await startServer(config, { log: () => {}, signals: false });
    try {
      const client = await connect(server.adminConnection!);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      const base = `http://127.0.0.1:${server.ports.http}`;
      const fetchText = async (path: string) => {
        const response = await fetch(`${base}${path}`);
        return { status: response.status, body: await response.text() };
      };
      assertEquals(await fetchText("/static/real.txt"), { status: 200, body: "real" });
      assertEquals((await fetchText("/static/sub/deep.txt")).body, "deep");
      for (
        const path of [
          "/static/link.txt",
          "/static/linkdir/inner.txt",
          "/static/../secret.txt",
          "/static/%2e%2e/secret.txt",
          "/static/sub/%2e%2e/%2e%2e/%2e%2e/secret.txt",
          "/static/..%2fsecret.txt",
          "/static/real.txt%00",
          "/static//real.txt/..",
        ]
      ) {
        const { status, body } = await fetchText(path);
        assert(status >= 400 && status < 500, `${path}: ${status}`);
        assert(!body.includes(SECRET), `${path} served a file from outside`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
