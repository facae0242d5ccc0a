/**
 * Planck as a wire benchmark target: a `planck start` subprocess (durability sync) on a fresh data
 * directory and free ports, reached through the client in mod.ts.
 */
import { connect, type PlanckClient } from "../../mod.ts";
import type { Connection, Target } from "./workload.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Starts Planck in `dataDir` and returns it as a target. */
export async function startPlanck(dataDir: string): Promise<Target> {
  await Deno.mkdir(dataDir, { recursive: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "start",
      "--data",
      dataDir,
      "--wire-port",
      "0",
      "--http-port",
      "0",
      "--workbench-port",
      "0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!output.includes("planck: ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`planck start exited before it was ready:\n${output}`);
    output += value;
  }
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const admin = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
  return {
    name: "planck",
    async open(connections) {
      const clients = await Promise.all(Array.from({ length: connections }, () => connect(admin)));
      return clients.map(wrap);
    },
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function wrap(client: PlanckClient): Connection {
  return {
    async insertMany(ids, docs) {
      await client.batch(
        ids.map((key, i) => ({ op: "insert" as const, store: "docs", key, doc: docs[i] as never })),
      );
    },
    async insert(id, doc) {
      await client.insert("docs", doc as never, { key: id });
    },
    get: (id) => client.get("docs", id),
    close: () => Promise.resolve(client.close()),
  };
}
