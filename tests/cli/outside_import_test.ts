/**
 * The three entry points (mod.ts, client/mod.ts, engine/mod.ts) import from a project outside this
 * repository with no deno.json and no import map: `deno check` passes and a program using the
 * engine in-process and the TCP client against a real server runs.
 */
import * as path from "node:path";
import { assertEquals } from "../_util/assert.ts";
import { withServer } from "../host/test_server.ts";
import { REPO } from "./fresh_clone.ts";

const PROGRAM = (repo: string) => `
import { connect, where } from ${JSON.stringify(path.join(repo, "mod.ts"))};
import { connect as connectOnly } from ${JSON.stringify(path.join(repo, "client", "mod.ts"))};
import { openDatabase, Store } from ${JSON.stringify(path.join(repo, "engine", "mod.ts"))};

const db = await openDatabase("local");
await db.createStore("notes", { ifNotExists: true });
const notes = new Store(db, "notes");
await notes.insert({ text: "hello" });
const local = notes.scan({ limit: 10 }).length;
await db.close();

const client = await connect(Deno.args[0]);
await client.insert("orders", { title: "Tea", amount: 3.5 });
const found = await client.store<{ title: string; amount: number }>("orders")
  .filter(where("amount").gte(1)).find();
client.close();
console.log(JSON.stringify({ local, remote: found.map((o) => o.title), same: connect === connectOnly }));
`;

Deno.test("mod.ts, client/mod.ts and engine/mod.ts import from a project outside the repository", async () => {
  const project = await Deno.makeTempDir({ prefix: "planck_outside_" });
  try {
    await Deno.writeTextFile(path.join(project, "main.ts"), PROGRAM(REPO));
    const run = async (args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: project,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
    };
    const checked = await run(["check", "main.ts"]);
    assertEquals(checked.code, 0, checked.stderr);
    await withServer(async ({ admin }) => {
      const ran = await run(["run", "-A", "main.ts", admin]);
      assertEquals(ran.code, 0, ran.stderr);
      assertEquals(JSON.parse(ran.stdout), { local: 1, remote: ["Tea"], same: true });
    });
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});
