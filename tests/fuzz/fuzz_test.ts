/**
 * The short CI round of every fuzz target (tests/fuzz/targets/): `ciCases` cases for each fixed seed
 * (PLANCK_SEED replays others; PLANCK_FUZZ_CASES overrides the count). The long run is
 * `deno task fuzz --seconds N`.
 */
import { replayCommand, runFuzz } from "./harness.ts";
import { FUZZ_TARGETS } from "./targets/mod.ts";
import { testSeeds } from "../_util/random.ts";

const CASES = Deno.env.get("PLANCK_FUZZ_CASES");

for (const target of FUZZ_TARGETS) {
  Deno.test(`fuzz ${target.name}: ${target.description}`, async () => {
    const seeds = testSeeds(2);
    const cases = CASES === undefined ? target.ciCases : Number(CASES);
    let total = 0;
    for (const seed of seeds) {
      const run = await runFuzz(target, { seed, cases });
      total += run.cases;
      const [finding] = run.findings;
      if (finding !== undefined) {
        throw new Error(
          `fuzz ${target.name}, seed ${seed}, case ${finding.caseIndex}: ${finding.message}\n` +
            `replay: ${replayCommand(finding)}`,
        );
      }
    }
    console.log(`fuzz ${target.name}: ${total} cases, seeds ${seeds.join(", ")}, no finding`);
  });
}
