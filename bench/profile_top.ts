/**
 * Top self-time functions of a V8 .cpuprofile (what `deno run --cpu-prof` writes), as a markdown
 * table: self ms, share of the profile, function and file:line. "(idle)" is time the event loop
 * waited (for an fdatasync on the thread pool, a timer); "(program)" is native code outside JS.
 *
 *   deno run -A bench/profile_top.ts <file.cpuprofile> [rows]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROWS_DEFAULT = 25;

/** Self time in microseconds per function (name + location), largest first. */
export function selfTimes(profile: Profile): [string, number][] {
  const label = new Map<number, string>();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const file = frame.url.replace(/^.*\/work\/main\//, "").replace(/^.*\/node_modules\//, "npm:");
    const where = file === "" ? "" : ` ${file}:${frame.lineNumber + 1}`;
    label.set(node.id, `${frame.functionName || "(anonymous)"}${where}`);
  }
  const totals = new Map<string, number>();
  // timeDeltas[i] is the time before sample i; charge it to the sample that was running (i - 1).
  for (let i = 0; i < profile.samples.length; i++) {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const name = label.get(profile.samples[i]) ?? "?";
    totals.set(name, (totals.get(name) ?? 0) + micros);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const profile = JSON.parse(await Deno.readTextFile(Deno.args[0])) as Profile;
  const rows = Number(Deno.args[1] ?? ROWS_DEFAULT);
  const times = selfTimes(profile);
  const total = times.reduce((sum, [, micros]) => sum + micros, 0);
  const busy = times.filter(([name]) => !name.startsWith("(idle)")).reduce(
    (sum, [, micros]) => sum + micros,
    0,
  );
  console.log(`total ${(total / 1000).toFixed(0)} ms, not idle ${(busy / 1000).toFixed(0)} ms`);
  console.log("| self ms | % total | % not idle | function |\n|--:|--:|--:|---|");
  for (const [name, micros] of times.slice(0, rows)) {
    const notIdle = name.startsWith("(idle)") ? "" : ((micros / busy) * 100).toFixed(1);
    console.log(
      `| ${(micros / 1000).toFixed(1)} | ${((micros / total) * 100).toFixed(1)} | ${notIdle} | ${name} |`,
    );
  }
}
