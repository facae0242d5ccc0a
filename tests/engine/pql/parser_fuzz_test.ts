import { deepStrictEqual, fail, ok } from "node:assert/strict";
import { PlanckError } from "../../../protocol/errors.ts";
import { parsePql, parsePqlScript } from "../../../engine/pql/mod.ts";
import { seededRandom, testSeed } from "../../_util/random.ts";
import { pqlStatement } from "../../fuzz/pql_mutate.ts";

/** Mutated statements per run. */
const FUZZ_CASES = Number(Deno.env.get("PLANCK_FUZZ_CASES") ?? 6_000);

Deno.test("parsePql and parsePqlScript throw only PlanckErrors on random and mutated statements", () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  let parsed = 0;
  for (let i = 0; i < FUZZ_CASES; i++) {
    const text = pqlStatement(random);
    const script = random() < 0.2;
    let first: unknown;
    try {
      first = script ? parsePqlScript(text + "\n" + pqlStatement(random)) : parsePql(text);
    } catch (error) {
      // internal (a failed assertion) would be a parser bug, not bad input.
      const expected = error instanceof PlanckError && error.code !== "internal";
      if (expected) continue;
      fail(
        `seed ${seed} (replay with PLANCK_SEED=${seed}), case ${i}: ${JSON.stringify(text)} threw ${error}`,
      );
    }
    parsed++;
    ok(typeof first === "object" && first !== null, `seed ${seed}, case ${i}`);
    if (!script) deepStrictEqual(parsePql(text), first, `seed ${seed}, case ${i}: parsing is deterministic`);
  }
  ok(parsed > 0, `seed ${seed}: some mutations still parse`);
});
