/**
 * Does the server give memory back after many large authenticated frames? (docs/security.md, "Wire")
 *
 * Starts `planck start` as a subprocess on a scratch data directory, opens `--connections`
 * authenticated wire connections, and has each send `--frames` frames of `--mib` MiB (a `ping` with
 * a padding field: read whole, parsed, refused as `invalid_argument`). The server's RSS (from
 * /proc) is printed before, then for each of `--rounds` rounds at its peak and `--settle-s` seconds
 * after its connections closed: a leak grows round over round, retained memory does not. A probe, not a timed test: `deno run -A bench/soak/frame_memory.ts`.
 */
import { connect } from "../../client/mod.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startPlanck(dataDir: string): Promise<{ child: Deno.ChildProcess; admin: string }> {
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
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  while (!output.includes("planck: ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`planck start failed:\n${output}`);
    output += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const admin = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
  return { child, admin };
}

if (import.meta.main) {
  const connections = Number(flag("connections") ?? 24);
  const frames = Number(flag("frames") ?? 4);
  const mib = Number(flag("mib") ?? 30);
  const settleS = Number(flag("settle-s") ?? 10);
  const rounds = Number(flag("rounds") ?? 3);
  const dir = await Deno.makeTempDir({ prefix: "planck_frame_memory_" });
  const { child, admin } = await startPlanck(`${dir}/data`);
  const padding = "p".repeat(mib * MiB);
  const report = (label: string) =>
    console.log(`${label.padEnd(28)} RSS ${rssMiB(child.pid).toFixed(0)} MiB`);
  try {
    report("after start");
    for (let round = 1; round <= rounds; round++) {
      let peak = 0;
      const sampler = setInterval(() => peak = Math.max(peak, rssMiB(child.pid)), 50);
      const clients = await Promise.all(Array.from({ length: connections }, () => connect(admin)));
      await Promise.all(clients.map(async (client) => {
        for (let i = 0; i < frames; i++) {
          await client.request("ping", { padding }).catch(() => {}); // refused: ping takes no fields
        }
      }));
      clearInterval(sampler);
      console.log(`${`round ${round} peak`.padEnd(28)} RSS ${peak.toFixed(0)} MiB`);
      for (const client of clients) client.close();
      await new Promise((resolve) => setTimeout(resolve, settleS * 1000));
      report(`round ${round}, ${settleS} s after close`);
    }
    console.log(`load ${loadAverage()}`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}
