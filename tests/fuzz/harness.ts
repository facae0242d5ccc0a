/**
 * The fuzz harness: a target draws one input per case from its own seeded PRNG, feeds it to a real part
 * of Planck (the engine, a server on a socket, files on disk) and throws a finding when that part
 * misbehaves — a crash, an error that is not a PlanckError with a stable code, a hang, touched data.
 *
 * Case `i` of seed `s` draws from `caseRandom(s, i)`, so one case replays on its own:
 * `deno task fuzz --target NAME --seed S --case I`. CI runs a short fixed-seed round of every target
 * (tests/fuzz/fuzz_test.ts); `deno task fuzz --seconds N` runs fresh seeds until the time is up
 * (scripts/fuzz.ts).
 */
import { PlanckError } from "../../protocol/errors.ts";
import { seededRandom } from "../_util/random.ts";

/** The longest one case may take before it counts as a hang: generous, as CI runs at load 15+. */
export const FUZZ_CASE_TIMEOUT_MS = 60_000;

/** One thing to fuzz. `C` is what `setup` builds once per run (a database, a server, a directory). */
export interface FuzzTarget<C = unknown> {
  name: string;
  /** One line: what inputs, which part, what must hold. */
  description: string;
  /** Cases per seed in the short CI round. */
  ciCases: number;
  setup(): Promise<C>;
  /** One case; throws (anything) when the part under test misbehaves. */
  one(ctx: C, random: () => number, caseIndex: number): Promise<void>;
  /** Checks that hold after every case of a run (e.g. reopen and compare), then cleans up. */
  teardown(ctx: C): Promise<void>;
}

/** A misbehaviour, with what replays it. */
export interface Finding {
  target: string;
  seed: number;
  caseIndex: number;
  message: string;
}

/** What a run did. */
export interface FuzzRun {
  cases: number;
  findings: Finding[];
}

/** The PRNG of case `caseIndex` of `seed`: independent of the cases before it. */
export function caseRandom(seed: number, caseIndex: number): () => number {
  return seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(caseIndex + 1, 0x85ebca6b)) >>> 0);
}

/** The replay command of a finding. */
export function replayCommand(f: Pick<Finding, "target" | "seed" | "caseIndex">): string {
  return `deno task fuzz --target ${f.target} --seed ${f.seed} --case ${f.caseIndex}`;
}

/**
 * Runs cases `first..first+cases-1` of `seed` (or until `deadline`, a `performance.now()` time), stopping
 * at `maxFindings` findings. Teardown always runs; a teardown failure is a finding too.
 */
export async function runFuzz<C>(
  target: FuzzTarget<C>,
  options: { seed: number; cases: number; first?: number; deadline?: number; maxFindings?: number },
): Promise<FuzzRun> {
  const findings: Finding[] = [];
  const first = options.first ?? 0;
  const maxFindings = options.maxFindings ?? 1;
  const ctx = await target.setup();
  let cases = 0;
  try {
    for (let i = first; i < first + options.cases; i++) {
      if (options.deadline !== undefined && performance.now() > options.deadline) break;
      cases++;
      const message = await oneCase(target, ctx, options.seed, i);
      if (message !== undefined) {
        findings.push({ target: target.name, seed: options.seed, caseIndex: i, message });
        if (findings.length >= maxFindings) break;
      }
    }
  } finally {
    try {
      await target.teardown(ctx);
    } catch (error) {
      findings.push({ target: target.name, seed: options.seed, caseIndex: -1, message: describe(error) });
    }
  }
  return { cases, findings };
}

/** One case under the hang timeout; the finding's message, or undefined when all held. */
async function oneCase<C>(
  target: FuzzTarget<C>,
  ctx: C,
  seed: number,
  i: number,
): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`hang: case did not finish in ${FUZZ_CASE_TIMEOUT_MS} ms`),
      FUZZ_CASE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      target.one(ctx, caseRandom(seed, i), i).then(() => undefined, describe),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ""}`;
  return String(error);
}

/**
 * For inputs that may be refused: runs `fn`; a PlanckError with a stable code (not `internal`) is a
 * refusal and fine; anything else thrown is rethrown as a finding naming the input.
 */
export async function refusedOrDone<T>(what: string, fn: () => Promise<T> | T): Promise<T | PlanckError> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PlanckError && error.code !== "internal") return error;
    throw new Error(`${what}: threw ${describe(error)}`);
  }
}

/** Helpers for drawing inputs. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

export function int(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

export function bytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}
