/**
 * Compile-readiness: the entry point the binary is compiled from (main.ts) reads no file of the
 * source tree at run time. `deno compile` cannot run here (no denort), so this runs the same entry
 * under `deno run -A` — `planck build` (esbuild-wasm), `planck start` (engine, QuickJS, wire,
 * HTTP, workbench), `planck deploy`, `planck status`, then requests to the service, its packed
 * static file, the served htmx asset and the workbench's page and assets — with Deno's permission
 * audit log on (DENO_AUDIT_PERMISSIONS: every read/write/run/ffi permission check, granted or
 * not, with its path). The test fails on any checked path inside the checkout other than a file
 * of an npm package the compile plan embeds (scripts/compile_plan.ts; binaryen/bin, maps and
 * type declarations are not embedded, so reading them fails too). Modules and their text/bytes
 * imports are loaded by Deno's module loader, which `deno compile` embeds, and are not checks.
 * The log is proven live: it must show the service's planck.json read and esbuild.wasm read.
 */
import * as path from "node:path";
import { embedPlan } from "../../scripts/compile_plan.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

const SERVICE = `import { createApp } from "planck";
const app = createApp();
app.get("/hello", (c) => c.text("hello from a service"));
export default app;
`;

interface AuditEntry {
  permission: string;
  value: string | null;
}

async function readAudit(file: string): Promise<AuditEntry[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

Deno.test("main.ts reads no file of the source tree at run time (build, start, deploy, requests)", async () => {
  const plan = await embedPlan(REPO);
  const embeddedDirs = plan.packages.map((p) => p.dir + path.sep);
  const excluded = new Set(plan.excludes);
  const root = await Deno.makeTempDir({ prefix: "planck_ready_" });
  assert(!(root + path.sep).startsWith(REPO + path.sep), "the temp dir is outside the checkout");
  const work = path.join(root, "work");
  const svc = path.join(work, "svc");
  const data = path.join(root, "data");
  await Deno.mkdir(path.join(svc, "static"), { recursive: true });
  await Deno.mkdir(path.join(root, "home"));
  await Deno.mkdir(path.join(root, "tmp"));
  await Deno.writeTextFile(path.join(svc, "service.ts"), SERVICE);
  await Deno.writeTextFile(path.join(svc, "planck.json"), '{ "name": "svc", "version": "1.0.0" }');
  await Deno.writeTextFile(path.join(svc, "static", "note.txt"), "packed");
  let step = 0;
  const audits: string[] = [];
  const command = (args: string[]) => {
    const audit = path.join(root, `audit-${step++}.jsonl`);
    audits.push(audit);
    return new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", path.join(REPO, "deno.json"), path.join(REPO, "main.ts"), ...args],
      cwd: work,
      env: {
        DENO_AUDIT_PERMISSIONS: audit,
        HOME: path.join(root, "home"),
        TMPDIR: path.join(root, "tmp"),
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    });
  };
  const decoder = new TextDecoder();
  const run = async (args: string[]) => {
    const out = await command(args).output();
    const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    assertEquals(out.code, 0, `planck ${args.join(" ")}:\n${text}`);
    return text;
  };
  let server: Deno.ChildProcess | undefined;
  try {
    await run(["build", "svc", "--no-check", "-o", "svc.wasm"]);
    server = command([
      "start",
      "--data",
      data,
      "--http-port",
      "0",
      "--wire-port",
      "0",
      "--workbench-port",
      "0",
    ])
      .spawn();
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let printed = "";
    while (!/workbench listening on [^\n]*:(\d+)/.test(printed)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`planck start ended:\n${printed}`);
      printed += value;
    }
    const http = Number(/http listening on [^\n]*:(\d+)/.exec(printed)![1]);
    const workbench = Number(/workbench listening on [^\n]*:(\d+)/.exec(printed)![1]);
    await run(["deploy", "svc.wasm", "--data", data]);
    await run(["status", "--data", data]);
    const get = async (url: string) => {
      const response = await fetch(url);
      const body = await response.text();
      assertEquals(response.status, 200, `${url}: ${body.slice(0, 200)}`);
      return body;
    };
    assertEquals(await get(`http://127.0.0.1:${http}/hello`), "hello from a service");
    assertEquals(await get(`http://127.0.0.1:${http}/static/note.txt`), "packed");
    assert((await get(`http://127.0.0.1:${http}/_planck/assets/htmx.min.js`)).length > 10_000);
    assert((await get(`http://127.0.0.1:${workbench}/`)).includes("<"));
    assert((await get(`http://127.0.0.1:${workbench}/assets/style.css`)).length > 100);
    server.kill("SIGTERM");
    assertEquals((await server.status).code, 0);
    server.stderr.cancel();
    reader.cancel();
    server = undefined;

    const entries = (await Promise.all(audits.map(readAudit))).flat();
    const paths = entries.filter((e) =>
      ["read", "write", "run", "ffi"].includes(e.permission) && e.value !== null
    )
      .map((e) => ({ kind: e.permission, file: path.resolve(work, e.value!) }));
    assert(paths.some((p) => p.file === path.join(svc, "planck.json")), "the audit log records reads");
    assert(
      paths.some((p) => p.file.endsWith(`${path.sep}esbuild.wasm`)),
      "esbuild.wasm is read (and embedded)",
    );
    const inTree = paths.filter((p) => p.file.startsWith(REPO + path.sep));
    // Deno 2.9.6 logs a read and a write check for every file-system op (stat and readFile too), so
    // the two are not told apart: any op on a path of the checkout must be on an embedded file.
    const bad = inTree.filter((p) =>
      !["read", "write"].includes(p.kind) || excluded.has(p.file) ||
      !embeddedDirs.some((d) => p.file.startsWith(d))
    );
    assertEquals(bad.map((p) => `${p.kind} ${path.relative(REPO, p.file)}`), [], "reads of the source tree");
    console.log(
      `${paths.length} permission checks; ${inTree.length} in the checkout, all in embedded npm packages: ` +
        [...new Set(inTree.map((p) => path.relative(REPO, p.file)))].join(", "),
    );
  } finally {
    if (server !== undefined) {
      server.kill("SIGKILL");
      await server.status;
    }
    await Deno.remove(root, { recursive: true });
  }
});
