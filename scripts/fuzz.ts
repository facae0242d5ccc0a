/**
 * `deno task fuzz`: the long run of the fuzz harness (tests/fuzz/). Fresh seeds, every target in turn,
 * until the time is up; progress on stderr every few seconds; a table of cases and findings at the end,
 * each finding with the command that replays it. Exit status 1 when anything was found.
 *
 *   deno task fuzz                          60 s over every target
 *   deno task fuzz --seconds 600            ten minutes
 *   deno task fuzz --target wire,pql        only these targets
 *   deno task fuzz --target pql --seed S --case I    replay one case (prints its finding, if any)
 *   deno task fuzz --list                   the targets and what each checks
 *   deno task fuzz --memory                 after each round: collect garbage, print RSS, heap, external
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type Finding, replayCommand, runFuzz } from "../tests/fuzz/harness.ts";
import { FUZZ_TARGETS } from "../tests/fuzz/targets/mod.ts";

/** Cases per round of one target before the run moves to the next (with a fresh seed). */
const ROUND_CASES = 200;
/** Findings kept per target before it is skipped for the rest of the run. */
const FINDINGS_PER_TARGET_MAX = 5;
const PROGRESS_EVERY_MS = 5_000;

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i >= 0) return Deno.args[i + 1];
  return Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function usage(message: string): never {
  console.error(`deno task fuzz: ${message}`);
  Deno.exit(2);
}

if (Deno.args.includes("--list")) {
  for (const t of FUZZ_TARGETS) console.log(`${t.name.padEnd(12)} ${t.description}`);
  Deno.exit(0);
}

const names = flag("target")?.split(",").filter((s) => s !== "");
const targets = names === undefined ? FUZZ_TARGETS : names.map((name) => {
  const found = FUZZ_TARGETS.find((t) => t.name === name);
  if (found === undefined) {
    usage(`unknown target "${name}" (known: ${FUZZ_TARGETS.map((t) => t.name).join(", ")})`);
  }
  return found;
});
const seconds = Number(flag("seconds") ?? 60);
if (!(seconds > 0)) usage(`--seconds must be a positive number, got ${flag("seconds")}`);
const seedFlag = flag("seed");
const memory = Deno.args.includes("--memory");
setFlagsFromString("--expose-gc");
/** A full garbage collection: what a round leaves after it is what it retains. */
const collect = runInNewContext("gc") as () => void;
const caseFlag = flag("case");

if (seedFlag !== undefined || caseFlag !== undefined) {
  // Replay: one case (or, without --case, ROUND_CASES cases of that seed).
  const seed = Number(seedFlag);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    usage(`--seed must be a non-negative integer, got ${seedFlag}`);
  }
  if (targets.length !== 1) usage("a replay needs exactly one --target");
  const first = caseFlag === undefined ? 0 : Number(caseFlag);
  if (!Number.isSafeInteger(first) || first < 0) {
    usage(`--case must be a non-negative integer, got ${caseFlag}`);
  }
  const run = await runFuzz(targets[0], {
    seed,
    first,
    cases: caseFlag === undefined ? ROUND_CASES : 1,
    maxFindings: FINDINGS_PER_TARGET_MAX,
  });
  for (const f of run.findings) console.log(`finding: case ${f.caseIndex}: ${f.message}`);
  console.log(`${targets[0].name}: ${run.cases} cases, ${run.findings.length} findings`);
  Deno.exit(run.findings.length === 0 ? 0 : 1);
}

const start = performance.now();
const deadline = start + seconds * 1000;
const counts = new Map(targets.map((t) => [t.name, { cases: 0, rounds: 0 }]));
const findings: Finding[] = [];
const rssStart = Deno.memoryUsage().rss;
const mib = (n: number) => (n / 2 ** 20).toFixed(0);
let lastProgress = start;
console.error(
  `fuzz: ${targets.length} targets for ${seconds} s (fresh seeds; replay a finding with its command)`,
);

outer: while (performance.now() < deadline) {
  for (const target of targets) {
    if (performance.now() >= deadline) break outer;
    if (findings.filter((f) => f.target === target.name).length >= FINDINGS_PER_TARGET_MAX) continue;
    const seed = Math.floor(Math.random() * 2 ** 32);
    const count = counts.get(target.name)!;
    // Case numbers continue across rounds: targets that map cases to offsets cover new ones.
    const run = await runFuzz(target, {
      seed,
      first: count.cases,
      cases: ROUND_CASES,
      deadline,
      maxFindings: FINDINGS_PER_TARGET_MAX,
    });
    count.cases += run.cases;
    count.rounds++;
    if (memory) {
      collect();
      const m = Deno.memoryUsage();
      const at = Math.round((performance.now() - start) / 1000);
      console.error(
        `memory: ${at} s after ${target.name} round ${count.rounds}: RSS ${mib(m.rss)} MiB, heap ` +
          `${mib(m.heapUsed)} MiB, external ${mib(m.external)} MiB`,
      );
    }
    for (const f of run.findings) {
      findings.push(f);
      console.error(`FINDING ${f.target} seed ${f.seed} case ${f.caseIndex}: ${f.message.split("\n")[0]}`);
    }
    if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      const elapsed = Math.round((lastProgress - start) / 1000);
      const total = [...counts.values()].reduce((n, c) => n + c.cases, 0);
      console.error(`fuzz: ${elapsed}/${seconds} s, ${total} cases, ${findings.length} findings`);
    }
  }
}

const rssEnd = Deno.memoryUsage().rss;
console.log(`\n| target | rounds | cases | findings |\n| --- | ---: | ---: | ---: |`);
for (const t of targets) {
  const c = counts.get(t.name)!;
  console.log(
    `| ${t.name} | ${c.rounds} | ${c.cases} | ${findings.filter((f) => f.target === t.name).length} |`,
  );
}
console.log(
  `\n${Math.round((performance.now() - start) / 1000)} s; RSS ${mib(rssStart)} → ${mib(rssEnd)} MiB`,
);
for (const f of findings) console.log(`\n${replayCommand(f)}\n${f.message}`);
Deno.exit(findings.length === 0 ? 0 : 1);
