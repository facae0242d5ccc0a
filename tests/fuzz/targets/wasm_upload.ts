/**
 * Uploaded `.wasm` files: the built examples (a JS service and a native one) cut, flipped, with section
 * sizes that lie, import sections replaced (unknown modules, wrong kinds, huge or shared memories), a
 * memory defined, manifests duplicated, dropped or rewritten with bad fields, many custom sections, an
 * upload over SERVICE_BYTES_MAX — deployed over the wire as an admin. What must hold: each deploy is
 * refused with a stable error code or deploys (then the original is deployed again); and after every
 * case both services still answer their routes with 200.
 */
import { defaultConfig } from "../../../host/config.ts";
import { type PlanckServer, startServer } from "../../../host/server/server.ts";
import { builtExample } from "./built.ts";
import { SECTION_MANIFEST, SERVICE_BYTES_MAX } from "../../../protocol/abi.ts";
import { connect, type PlanckClient } from "../../../client/mod.ts";
import { bytes, type FuzzTarget, int, pick } from "../harness.ts";
import { assemble, customName, customSection, name, type Section, sections, uleb } from "../wasm_sections.ts";

interface Service {
  wasm: Uint8Array;
  name: string;
  /** A route of it that answers 200. */
  probe: string;
}

interface Ctx {
  dir: string;
  server: PlanckServer;
  client: PlanckClient;
  base: string;
  services: Service[];
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

/** An import section with odd entries. */
function oddImports(random: () => number): Section {
  const entries: number[][] = [];
  for (let n = 1 + int(random, 3); n > 0; n--) {
    entries.push(pick(random, [
      [...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(pick(random, [65_536, 1 << 20, 0]))], // huge min
      [...name("env"), ...name("memory"), 0x02, 0x01, ...uleb(1), ...uleb(70_000)], // max past 4 GiB
      [...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(1), ...uleb(2)], // shared
      [...name("wasi_snapshot_preview1"), ...name("fd_write"), 0x00, ...uleb(0)],
      [...name("planck"), ...name("nope"), 0x00, ...uleb(0)],
      [...name("env"), ...name("abort"), 0x03, 0x7f, 0x00], // a global where a function belongs
      [...name("env"), ...name("table"), 0x01, 0x70, 0x00, ...uleb(10_000_000)],
      [...name("env"), ...name("memory"), 0x00, ...uleb(99_999)], // a function with a missing type
    ]));
  }
  return { id: SECTION_IMPORT, payload: new Uint8Array([...uleb(entries.length), ...entries.flat()]) };
}

function badManifest(random: () => number, original: Record<string, unknown>): Uint8Array {
  const m: Record<string, unknown> = structuredClone(original);
  const field = pick(random, [
    "name",
    "version",
    "abi",
    "tier",
    "prefix",
    "routes",
    "indexes",
    "assets",
    "topics",
  ]);
  m[field] = pick(random, [
    "../../etc",
    "",
    "x".repeat(10_000),
    "/_planck",
    999,
    -1,
    null,
    [],
    {},
    [{ method: "GET", path: "/*" }],
    [{ method: "GET", path: "/_planck/metrics" }],
    Array.from({ length: 5000 }, (_, i) => ({ method: "GET", path: `/r${i}` })),
    { "../../x": "AAAA" },
  ]);
  const text = random() < 0.15 ? JSON.stringify(m).slice(0, int(random, 200)) : JSON.stringify(m);
  return new TextEncoder().encode(text);
}

function mutate(random: () => number, wasm: Uint8Array): Uint8Array {
  const parts = sections(wasm);
  const manifestAt = parts.findIndex((s) => customName(s) === SECTION_MANIFEST);
  switch (int(random, 9)) {
    case 0:
      return wasm.slice(0, int(random, wasm.length));
    case 1: {
      const out = wasm.slice();
      for (let n = 1 + int(random, 4); n > 0; n--) out[int(random, out.length)] ^= 1 + int(random, 255);
      return out;
    }
    case 2: { // a section size that lies
      const target = int(random, parts.length);
      const lie = pick(random, [
        0,
        1,
        2 ** 32 - 1,
        2 ** 31,
        parts[target].payload.length + 1 + int(random, 100),
      ]);
      return assemble(parts, (s, i) => i === target ? lie : s.payload.length);
    }
    case 3: { // the import section replaced (or added)
      const at = parts.findIndex((s) => s.id === SECTION_IMPORT);
      const odd = oddImports(random);
      if (at >= 0) parts[at] = odd;
      else parts.splice(1, 0, odd);
      return assemble(parts);
    }
    case 4: { // a memory defined, of any size
      const memory: Section = {
        id: SECTION_MEMORY,
        payload: new Uint8Array([1, 0x01, ...uleb(pick(random, [1, 65_536])), ...uleb(65_536)]),
      };
      const at = parts.findIndex((s) => s.id > SECTION_MEMORY && s.id !== 0);
      parts.splice(at < 0 ? parts.length : at, 0, memory);
      return assemble(parts);
    }
    case 5: { // manifest dropped, duplicated or rewritten
      if (manifestAt < 0) return wasm;
      const original = JSON.parse(
        new TextDecoder().decode(parts[manifestAt].payload.subarray(1 + SECTION_MANIFEST.length)),
      );
      const r = random();
      if (r < 0.2) parts.splice(manifestAt, 1);
      else if (r < 0.4) parts.push(parts[manifestAt]);
      else parts[manifestAt] = customSection(SECTION_MANIFEST, badManifest(random, original));
      return assemble(parts);
    }
    case 6: { // many custom sections
      for (let i = 0; i < 500 + int(random, 2000); i++) parts.push(customSection(`c${i}`, bytes(random, 8)));
      return assemble(parts);
    }
    case 7: // over the size limit
      return random() < 0.5
        ? assemble([...parts, customSection("pad", new Uint8Array(SERVICE_BYTES_MAX))])
        : bytes(random, int(random, 64));
    default: // sections shuffled
      for (let i = parts.length - 1; i > 0; i--) {
        const j = int(random, i + 1);
        [parts[i], parts[j]] = [parts[j], parts[i]];
      }
      return assemble(parts);
  }
}

async function alive(ctx: Ctx, what: string): Promise<void> {
  for (const s of ctx.services) {
    const response = await fetch(`${ctx.base}${s.probe}`);
    await response.body?.cancel();
    if (response.status !== 200) {
      throw new Error(`${what}: ${s.name}'s ${s.probe} answered ${response.status} afterwards`);
    }
  }
}

export const wasmUploadTarget: FuzzTarget<Ctx> = {
  name: "wasm_upload",
  description:
    "damaged .wasm uploads (sections, imports, memories, manifests, sizes): refused by code, services unharmed",
  ciCases: 24,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "planck_fuzz_wasm_" });
    const config = defaultConfig();
    config.dataDir = dir;
    config.ports = { wire: 0, http: 0, workbench: 0 };
    config.shutdown.drainTimeoutMs = 1_000;
    const server = await startServer(config, { log: () => {}, signals: false });
    const client = await connect(server.adminConnection!);
    const services: Service[] = [
      { wasm: await builtExample("orders"), name: "orders", probe: "/orders" },
      {
        wasm: await builtExample("orders-native"),
        name: "orders_native",
        probe: "/native/ping",
      },
    ];
    for (const s of services) await client.request("deploy", { wasm: s.wasm });
    const ctx = { dir, server, client, base: `http://127.0.0.1:${server.ports.http}`, services };
    await alive(ctx, "setup");
    return ctx;
  },
  async one(ctx, random, caseIndex) {
    const service = pick(random, ctx.services);
    const upload = mutate(random, service.wasm);
    const what = `case ${caseIndex} (${service.name}, ${upload.length} bytes)`;
    let deployed: { name?: string } | undefined;
    try {
      deployed = await ctx.client.request("deploy", { wasm: upload }) as { name?: string };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== "string" || code === "internal") throw new Error(`${what}: deploy threw ${error}`);
    }
    if (deployed !== undefined) {
      // It deployed (a harmless change): put the original back, or remove a service of another name.
      const same = ctx.services.find((s) => s.name === deployed!.name);
      if (same !== undefined) await ctx.client.request("deploy", { wasm: same.wasm });
      else if (typeof deployed.name === "string") {
        await ctx.client.request("undeploy", { name: deployed.name });
      }
    }
    await alive(ctx, what);
  },
  async teardown(ctx) {
    try {
      ctx.client.close();
      await ctx.server.stop();
    } finally {
      await Deno.remove(ctx.dir, { recursive: true });
    }
  },
};
