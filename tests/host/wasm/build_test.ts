/**
 * `buildService` and deploy-time validation: the manifest and sections of a built service, build
 * errors naming file:line:column, the embedded guest library covering builder/ and framework/,
 * and refusals of a wrong ABI, a wrong engine, a missing section and an oversized upload.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDir } from "../../_util/temp_db.ts";
import { ABI_VERSION, SECTION_ENGINE, SECTION_MANIFEST, SERVICE_BYTES_MAX } from "../../../protocol/abi.ts";
import { buildService } from "../../../host/wasm/build.ts";
import { GUEST_SOURCES } from "../../../host/wasm/guest_sources.ts";
import { validateUpload } from "../../../host/services/registry.ts";
import { appendCustomSection, readCustomSections } from "../../../host/guest/sections.ts";

const SERVICE = `import { createApp, html } from "planck";
const app = createApp();
app.get("/hi/:name", (c) => c.html(html\`<p>\${c.req.param("name")}</p>\`));
export default app;
`;

function strip(wasm: Uint8Array, name: string): Uint8Array {
  const sections = readCustomSections(wasm).filter((s) => s.name.startsWith("planck."));
  let out = wasm.subarray(0, sections[0].offset);
  for (const s of sections) if (s.name !== name) out = appendCustomSection(out, s.name, s.payload);
  return out;
}

Deno.test("buildService packs manifest, engine pin and bundle; validateUpload accepts it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/service.ts`, SERVICE);
    await Deno.writeTextFile(`${dir}/planck.json`, '{"name":"hello","version":"2.0.0"}');
    const built = await buildService(dir);
    assertEquals(built.manifest.name, "hello");
    assertEquals(built.manifest.abi, ABI_VERSION);
    assertEquals(built.manifest.routes, [{ method: "GET", path: "/hi/:name" }]);
    const upload = await validateUpload(built.wasm);
    assertEquals(upload.manifest.version, "2.0.0");

    const wrongAbi = appendCustomSection(
      strip(built.wasm, SECTION_MANIFEST),
      SECTION_MANIFEST,
      new TextEncoder().encode(JSON.stringify({ ...built.manifest, abi: 99 })),
    );
    const abi = await assertRejectsCode(() => validateUpload(wrongAbi), "invalid_argument");
    assert(abi.message.includes("ABI version 99"), abi.message);
    const pin = { package: "@jitl/quickjs-wasmfile-release-sync", version: "0.31.0", sha256: "00" };
    const wrongEngine = appendCustomSection(
      strip(built.wasm, SECTION_ENGINE),
      SECTION_ENGINE,
      new TextEncoder().encode(JSON.stringify(pin)),
    );
    const engine = await assertRejectsCode(() => validateUpload(wrongEngine), "invalid_argument");
    assert(engine.message.startsWith("Engine mismatch"), engine.message);
    const missing = await assertRejectsCode(
      () => validateUpload(strip(built.wasm, SECTION_MANIFEST)),
      "invalid_argument",
    );
    assert(missing.message.includes(`"${SECTION_MANIFEST}"`), missing.message);
    const big = new Uint8Array(SERVICE_BYTES_MAX + 1);
    await assertRejectsCode(() => validateUpload(big), "limit_exceeded");
  });
});

Deno.test("buildService names file:line:column of a syntax error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/service.ts`, 'import "./broken.ts";\nexport default 1;\n');
    await Deno.writeTextFile(`${dir}/broken.ts`, "export const x = 1;\nexport const y = ;\n");
    const error = await assertRejectsCode(() => buildService(dir), "invalid_argument");
    assert(/broken\.ts:2:18: error: Unexpected ";"/.test(error.message), error.message);
  });
});

Deno.test("GUEST_SOURCES carries every file of builder/ and framework/", () => {
  for (const folder of ["builder", "framework"]) {
    for (const entry of Deno.readDirSync(new URL(`../../../${folder}/`, import.meta.url))) {
      if (entry.name.endsWith(".ts")) {
        assert(`${folder}/${entry.name}` in GUEST_SOURCES, `${folder}/${entry.name}`);
      }
    }
  }
});
