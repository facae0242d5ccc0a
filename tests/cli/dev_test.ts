/**
 * `planck dev` as a subprocess on a project of `planck new`: it starts Planck, builds and deploys;
 * an edit of a template is rebuilt, redeployed and served, and the dev events stream (what
 * dev-reload.js listens to) announces the new generation; a syntax error prints file:line:column
 * and leaves the old version serving; a handler that throws is logged with its request id and the
 * guest's stack at service.ts:line:column (source map); a type error is reported (file:line:column)
 * after the deploy; SIGINT stops it cleanly. A second `planck dev` attaches to the running one.
 */
import * as path from "node:path";
import { assert, assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

/** A child whose combined output can be awaited for markers, in order. */
class Watched {
  readonly child: Deno.ChildProcess;
  output = "";
  #waiters: { marker: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(args: string[], cwd: string) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path.join(REPO, "main.ts"), ...args],
      cwd,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pump(this.child.stdout);
    this.#pump(this.child.stderr);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.output += decoder.decode(chunk, { stream: true });
      this.#check();
    }
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      const found = new RegExp(w.marker.source, "g");
      found.lastIndex = w.from;
      const match = found.exec(this.output);
      if (match !== null) w.resolve(match);
      return match === null;
    });
  }

  /** Resolves with the first match of `marker` printed after offset `from` (default: now). */
  waitFor(marker: RegExp, from = this.output.length): Promise<RegExpExecArray> {
    const seen = new Promise<RegExpExecArray>((resolve) => this.#waiters.push({ marker, from, resolve }));
    this.#check();
    const exited = this.child.status.then((s) => {
      throw new Error(`exited (${s.code}) before ${marker}:\n${this.output}`);
    });
    return Promise.race([seen, exited]);
  }
}

/** Reads the `generation` events of a dev events stream, one per call of `next`. */
function sseReader(body: ReadableStream<Uint8Array>): { next(): Promise<string>; cancel(): Promise<void> } {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async () => {
    while (true) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (event.includes("event: generation")) return event;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended");
      buffer += value;
    }
  };
  return { next, cancel: () => reader.cancel() };
}

Deno.test("planck dev: edit → rebuilt, redeployed, served, announced; errors located; attach", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_dev_" });
  let dev: Watched | undefined;
  try {
    const made = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path.join(REPO, "main.ts"), "new", "shop"],
      cwd: root,
      stdout: "null",
    }).output();
    assertEquals(made.code, 0);
    const project = path.join(root, "shop");
    dev = new Watched(["dev", "shop", "--http-port", "0", "--wire-port", "0", "--workbench-port", "0"], root);
    const base = (await dev.waitFor(/planck: dev: open (http:\/\/127\.0\.0\.1:\d+)\//, 0))[1];
    await dev.waitFor(/watching/, 0);
    const first = await (await fetch(`${base}/`)).text();
    assert(first.includes("<h1>Shop</h1>") && first.includes("/_planck/assets/dev-reload.js"), first);

    const events = await fetch(`${base}/_planck/dev/events`);
    const stream = sseReader(events.body!);
    const before = JSON.parse((await stream.next()).split("data: ")[1]).generation;

    const layout = path.join(project, "views", "layout.ts");
    const original = await Deno.readTextFile(layout);
    let mark = dev.output.length;
    await Deno.writeTextFile(layout, original.replace("<h1>Shop</h1>", "<h1>Shop, edited</h1>"));
    await dev.waitFor(/planck: dev: deployed "shop" #2/, mark);
    const after = JSON.parse((await stream.next()).split("data: ")[1]).generation;
    assert(after > before, `generation ${before} → ${after}`);
    assert((await (await fetch(`${base}/`)).text()).includes("<h1>Shop, edited</h1>"));

    mark = dev.output.length;
    await Deno.writeTextFile(layout, original + "\nexport const broken: number = ;\n");
    await dev.waitFor(/build failed/, mark);
    const located = await dev.waitFor(/views\/layout\.ts:(\d+):(\d+): error: /, mark);
    assertEquals(Number(located[1]), original.split("\n").length + 1);
    assert((await (await fetch(`${base}/`)).text()).includes("<h1>Shop, edited</h1>"), "old version serves");

    const service = path.join(project, "service.ts");
    mark = dev.output.length;
    await Deno.writeTextFile(layout, original);
    await Deno.writeTextFile(
      service,
      (await Deno.readTextFile(service)).replace(
        "export default app;",
        'app.get("/boom", () => {\n  throw new Error(`kaput`);\n});\nexport default app;',
      ),
    );
    await dev.waitFor(/deployed "shop" #\d+ [^\n]*7 routes/, mark);
    const boom = await fetch(`${base}/boom`);
    assertEquals(boom.status, 500);
    await boom.body?.cancel();
    const id = boom.headers.get("x-request-id")!;
    const boomLine = (await Deno.readTextFile(service)).split("\n").findIndex((l) => l.includes("kaput")) + 1;
    await dev.waitFor(
      new RegExp(`request ${id} failed[^\\n]*kaput\\n\\s+at [^\\n]*\\(service\\.ts:${boomLine}:\\d+\\)`),
      mark,
    );

    mark = dev.output.length;
    const typed = await Deno.readTextFile(service);
    await Deno.writeTextFile(
      service,
      typed.replace(
        '"/boom", () => {\n  throw new Error(`kaput',
        '"/boom", (c) => {\n  throw new Error(`kaput ${c.session}',
      ),
    );
    await dev.waitFor(/deployed "shop" #\d+/, mark);
    await dev.waitFor(/is deployed but does not type-check/, mark);
    await dev.waitFor(/service\.ts:\d+:\d+: error TS2339: Property 'session' does not exist/, mark);

    const second = new Watched(["dev", "shop"], root);
    await second.waitFor(/attached to the server running on/, 0);
    await second.waitFor(new RegExp(`planck: dev: open ${base.replaceAll(".", "\\.")}/`), 0);
    second.child.kill("SIGINT");
    assertEquals((await second.child.status).code, 0);
    await stream.cancel();
  } finally {
    if (dev !== undefined) {
      dev.child.kill("SIGINT");
      const status = await dev.child.status;
      assertEquals(status.code, 0, dev.output);
    }
    await Deno.remove(root, { recursive: true });
  }
});
