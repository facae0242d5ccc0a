/**
 * The request path's stages, from a V8 CPU profile of a server under load: every sample is charged
 * to the innermost stage boundary on its stack (a host function that begins a stage: routing,
 * transaction open, a host call, the guest, encoding, the reply, commit, metrics), or, outside every
 * boundary, to Deno's own work (accept, parse and write in Rust, the Request/Response glue), GC and
 * the event loop. Divided by the requests answered, that gives µs of main-thread time per request
 * per stage; the process's CPU time beyond the main thread's (other threads: fsync on the pool,
 * V8's helper threads) is a stage of its own.
 *
 * Invariants: a frame matches a boundary by function name and source file; a frame that matches
 * none inherits its caller's stage; Deno-internal frames (ext:) and npm code take a stage of their
 * own only when no host boundary is above them, so a `new Response` inside the reply stays "reply";
 * idle samples are never charged.
 */

/** One node of a V8 `Profiler.stop` profile. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs between consecutive samples (the first is from the profile's start). */
  timeDeltas: number[];
}

/** A stage boundary: a function (name, or a pattern) in a source file whose path ends with `file`. */
interface Boundary {
  file: string;
  fn: string | RegExp;
  stage: string;
}

/** The stages in table order; every stage a rule names is listed here. */
export const STAGES = [
  "Deno.serve: accept, parse, write (Rust, event loop)",
  "Deno.serve: Request/Response JS",
  "parse: URL, headers, id",
  "parse: body",
  "routing",
  "dispatch + pool",
  "transaction open",
  "guest boundary: request in, response out",
  "guest code",
  "QuickJS boundary: handles, strings, JSON",
  "host call: decode call, encode reply",
  "host call: engine read (get, find)",
  "host call: reply spliced from stored bytes",
  "host call: write (stage)",
  "host call: dispatch (sandbox)",
  "BSON (npm bson)",
  "reply: Response + headers",
  "commit: validate + WAL append",
  "commit: group sync + release (main thread)",
  "metrics",
  "GC",
  "other JS (runtime, timers, microtasks)",
] as const;

type Stage = typeof STAGES[number];

/**
 * Boundaries, innermost wins. Function names as V8 reports them (private methods with "#"; "" for
 * an anonymous function). Code a guest calls back into runs on its JSPI stack, whose samples V8
 * reports without the frames below the guest, so host-call code is matched by its own file too.
 */
const BOUNDARIES: (Omit<Boundary, "stage"> & { stage: Stage })[] = [
  {
    file: "host/http/server.ts",
    fn: /^(handleAppRequest|nextRequestId|serveApp)$|^$/,
    stage: "parse: URL, headers, id",
  },
  { file: "host/http/server.ts", fn: "readBody", stage: "parse: body" },
  { file: "host/http/request_guard.ts", fn: /^(readBody|refuseBody)$/, stage: "parse: body" },
  { file: "host/http/request_guard.ts", fn: "refuseHead", stage: "parse: URL, headers, id" },
  { file: "host/http/request_guard.ts", fn: "guardResponse", stage: "reply: Response + headers" },
  { file: "host/http/request_url.ts", fn: /.*/, stage: "parse: URL, headers, id" },
  { file: "host/http/server.ts", fn: /^(toResponse|text|start)$/, stage: "reply: Response + headers" },
  { file: "host/http/router.ts", fn: /.*/, stage: "routing" },
  { file: "host/services/registry.ts", fn: "dispatch", stage: "dispatch + pool" },
  { file: "host/guest/pool.ts", fn: /.*/, stage: "dispatch + pool" },
  { file: "host/guest/invoke.ts", fn: /^(invokeService|release)$|^$/, stage: "dispatch + pool" },
  { file: "host/guest/metrics.ts", fn: /.*/, stage: "metrics" },
  { file: "engine/tx/transaction.ts", fn: /^(transaction|Transaction)$/, stage: "transaction open" },
  { file: "engine/tx/read_set.ts", fn: "ReadSet", stage: "transaction open" },
  { file: "engine/tx/transaction_view.ts", fn: "TransactionView", stage: "transaction open" },
  { file: "engine/tx/transaction.ts", fn: /^(#commit|commitOf)$/, stage: "commit: validate + WAL append" },
  { file: "engine/db/database.ts", fn: "commit", stage: "commit: validate + WAL append" },
  { file: "engine/db/writes.ts", fn: /.*/, stage: "commit: validate + WAL append" },
  {
    file: "engine/wal/group_commit.ts",
    fn: /^(#loop|#release|#schedule)$|^$/,
    stage: "commit: group sync + release (main thread)",
  },
  { file: "engine/wal/group_commit.ts", fn: "waitDurable", stage: "commit: validate + WAL append" },
  // Host calls.
  { file: "host/guest/sandbox.ts", fn: /.*/, stage: "host call: dispatch (sandbox)" },
  { file: "host/guest/invoke.ts", fn: "host", stage: "host call: dispatch (sandbox)" },
  {
    file: "engine/tx/transaction.ts",
    fn: /^(readBytes|findRows|query|#beforeRead|store)$/,
    stage: "host call: engine read (get, find)",
  },
  { file: "host/guest/raw_reply.ts", fn: /.*/, stage: "host call: reply spliced from stored bytes" },
  { file: "engine/db/stage_write.ts", fn: /.*/, stage: "host call: write (stage)" },
  { file: "engine/db/write_set.ts", fn: /.*/, stage: "host call: write (stage)" },
  {
    file: "host/native/session.ts",
    fn: /^(#request|request|#take|take|encodeReply)$/,
    stage: "host call: decode call, encode reply",
  },
  { file: "host/native/bson_scratch.ts", fn: /.*/, stage: "host call: decode call, encode reply" },
  // The native tier's side of the boundary.
  { file: "host/native/instance.ts", fn: /.*/, stage: "guest boundary: request in, response out" },
  { file: "host/native/bson_fast.ts", fn: /.*/, stage: "guest boundary: request in, response out" },
  {
    file: "host/native/session.ts",
    fn: /^(readResult|begin|end|write|checkBuffer|#bytes)$/,
    stage: "guest boundary: request in, response out",
  },
  // The QuickJS tier: its host side of the boundary.
  { file: "host/wasm/runtime.ts", fn: /.*/, stage: "QuickJS boundary: handles, strings, JSON" },
  { file: "host/wasm/quickjs_strings.ts", fn: /.*/, stage: "QuickJS boundary: handles, strings, JSON" },
  { file: "host/wasm/quickjs_entry.ts", fn: /.*/, stage: "QuickJS boundary: handles, strings, JSON" },
  { file: "framework/guest_json.ts", fn: /.*/, stage: "QuickJS boundary: handles, strings, JSON" },
  { file: "host/guest/guest_slice.ts", fn: /.*/, stage: "QuickJS boundary: handles, strings, JSON" },
];

function boundaryOf(frame: ProfileNode["callFrame"]): Stage | undefined {
  const { functionName: fn, url } = frame;
  if (
    url.startsWith("wasm://") || fn.startsWith("wasm-function[") || fn === "wasm-to-js" || fn === "js-to-wasm"
  ) {
    return "guest code";
  }
  for (const b of BOUNDARIES) {
    if (!url.endsWith(b.file)) continue;
    if (typeof b.fn === "string" ? fn === b.fn : b.fn.test(fn)) return b.stage;
  }
  return undefined;
}

/** The stage of a frame that no host boundary is above (or whose stack V8 cut at a guest). */
function fallbackOf(frame: ProfileNode["callFrame"]): Stage {
  const { functionName: fn, url } = frame;
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)" || fn === "(root)") return "Deno.serve: accept, parse, write (Rust, event loop)";
  if (url.startsWith("ext:deno_http") || url.startsWith("ext:deno_fetch")) {
    return "Deno.serve: Request/Response JS";
  }
  if (url.includes("quickjs-emscripten")) return "QuickJS boundary: handles, strings, JSON";
  if (url.includes("/bson/") || fn.startsWith("op_node_encoding") || url.includes("internal/buffer")) {
    return "BSON (npm bson)";
  }
  if (url.includes("/engine/")) return "host call: engine read (get, find)";
  if (url.includes("/framework/")) return "QuickJS boundary: handles, strings, JSON";
  return "other JS (runtime, timers, microtasks)";
}

/** Main-thread µs per stage over the profile (idle excluded), and the busy total. */
export function stageTimes(profile: CpuProfile): { stages: Map<string, number>; busyUs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, Stage | null>();
  const resolve = (id: number): Stage | null => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const inherited = up === undefined ? null : resolve(up);
    const stage = node.callFrame.functionName === "(idle)" ? null : boundaryOf(node.callFrame) ?? inherited;
    stageOf.set(id, stage);
    return stage;
  };
  const stages = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === "(idle)") continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const stage = resolve(node.id) ?? fallbackOf(node.callFrame);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    busyUs += us;
  }
  return { stages, busyUs };
}

/** One measured route and tier: process CPU per request and the main thread's stages. */
export interface StageRow {
  label: string;
  requests: number;
  rps: number;
  /** Process CPU per request without the profiler's thread. */
  cpuUsPerRequest: number;
  /** The profiler thread's CPU per request (not part of the total). */
  profilerUsPerRequest: number;
  /** Stage → µs per request (main thread), plus "other threads". */
  stages: Map<string, number>;
}

/**
 * The row of a run: CPU seconds per thread ("tid name", from wrk_driver.ts threadCpuS) over
 * `requests`, `profile` taken over the same run. The main thread's tid is `mainTid`. The profile's
 * samples measure wall time on the main thread (which other processes may preempt), so its stages
 * are scaled to the main thread's CPU time; V8's profiler thread is left out of the total (it
 * exists only while profiling), every other thread is one stage.
 */
export function stageRow(
  label: string,
  run: { requests: number; rps: number; threads: [string, number][]; mainTid: number },
  profile: CpuProfile,
): StageRow {
  const { stages, busyUs } = stageTimes(profile);
  let mainS = 0, otherS = 0, profilerS = 0;
  for (const [thread, s] of run.threads) {
    if (thread.split(" ")[0] === String(run.mainTid)) mainS += s;
    else if (thread.includes(PROFILER_THREAD)) profilerS += s;
    else otherS += s;
  }
  const perRequest = new Map<string, number>();
  const scale = busyUs > 0 ? mainS * 1e6 / busyUs : 0;
  for (const [stage, us] of stages) perRequest.set(stage, us * scale / run.requests);
  perRequest.set(OTHER_THREADS, otherS * 1e6 / run.requests);
  return {
    label,
    requests: run.requests,
    rps: run.rps,
    cpuUsPerRequest: (mainS + otherS) * 1e6 / run.requests,
    profilerUsPerRequest: profilerS * 1e6 / run.requests,
    stages: perRequest,
  };
}

/** V8's sampling profiler thread (its name in /proc, cut to 15 characters). */
const PROFILER_THREAD = "ProfEvntProc";
/** The stage of CPU time spent off the main thread (the profiler's own thread excluded). */
export const OTHER_THREADS = "other threads (fsync pool, V8 GC and compiler)";

/** The stage table as markdown: one column per row, one line per stage that any row spent time in. */
export function renderStages(rows: StageRow[]): string {
  const order = [...STAGES, OTHER_THREADS];
  const lines = [
    `| stage (µs/request) | ${rows.map((r) => r.label).join(" | ")} |`,
    `| --- | ${rows.map(() => "---:").join(" | ")} |`,
  ];
  for (const stage of order) {
    const values = rows.map((r) => r.stages.get(stage) ?? 0);
    if (values.every((v) => v < 0.05)) continue;
    lines.push(`| ${stage} | ${values.map((v) => v.toFixed(1)).join(" | ")} |`);
  }
  lines.push(
    `| **process CPU per request** | ${rows.map((r) => `**${r.cpuUsPerRequest.toFixed(1)}**`).join(" | ")} |`,
  );
  lines.push(`| req/s under the profiler | ${rows.map((r) => r.rps.toFixed(0)).join(" | ")} |`);
  return lines.join("\n");
}
