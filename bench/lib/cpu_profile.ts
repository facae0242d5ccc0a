/**
 * A CPU profile of a piece of code through V8's inspector (node:inspector works in Deno; `deno
 * run` has no --cpu-prof): the functions with the most self time, printed as a table.
 *
 *   await printProfile(async () => { for (...) await work(); }, { top: 25 });
 */
import { Session } from "node:inspector";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** A profile as `Profiler.stop` returns it. */
export interface RawProfile {
  nodes: (ProfileNode & { children?: number[] })[];
  samples: number[];
  timeDeltas: number[];
}

/** Runs `fn` under the sampling profiler (one sample every `intervalUs`) and returns the profile. */
export async function captureProfile(fn: () => Promise<void> | void, intervalUs = 100): Promise<RawProfile> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) =>
      session.post(
        method,
        params ?? {},
        (error: Error | null, result?: object) => error ? reject(error) : resolve(result as T),
      )
    );
  await post("Profiler.enable");
  let profile: RawProfile;
  await post("Profiler.setSamplingInterval", { interval: intervalUs });
  await post("Profiler.start");
  try {
    await fn();
  } finally {
    profile = (await post<{ profile: RawProfile }>("Profiler.stop")).profile;
    session.disconnect();
  }
  return profile;
}

/** Runs `fn` under the sampling profiler and prints the `top` functions by self time. */
export async function printProfile(
  fn: () => Promise<void> | void,
  options: { top?: number } = {},
): Promise<void> {
  const profile = await captureProfile(fn);
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const label = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
    self.set(label, (self.get(label) ?? 0) + (node.hitCount ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 25);
  for (const [label, hits] of rows) console.log(`${(100 * hits / total).toFixed(1).padStart(5)}%  ${label}`);
  const byFile = new Map<string, number>();
  for (const [label, hits] of self) {
    const file = label.split(" ").at(-1)!.replace(/:\d+$/, "");
    byFile.set(file, (byFile.get(file) ?? 0) + hits);
  }
  const files = [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 25);
  console.log(files.map(([file, hits]) => `${file} ${(100 * hits / total).toFixed(1)}%`).join(", "));
}
