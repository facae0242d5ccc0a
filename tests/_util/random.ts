/**
 * Seeds for randomized tests. A run is deterministic by default: every randomized test uses the fixed
 * seed list below, prints the seeds it used, and names the seed of a failure. Fresh seeds are drawn only
 * when asked:
 *
 * | PLANCK_SEED      | seeds used                                   |
 * |------------------|----------------------------------------------|
 * | unset            | `DEFAULT_SEEDS` (the first `count` of them)  |
 * | `123` or `1,2,3` | exactly those (replay a failure)             |
 * | `random`         | one fresh seed                               |
 * | `random:N`       | N fresh seeds                                |
 */

/** The fixed seeds every run of the suite uses unless PLANCK_SEED says otherwise. */
export const DEFAULT_SEEDS: readonly number[] = [0x5eed0001, 0x5eed0002, 0x5eed0003, 0x5eed0004, 0x5eed0005];
/** The most fresh seeds `PLANCK_SEED=random:N` may ask for. */
const RANDOM_SEEDS_MAX = 10_000;

/** A seeded PRNG (mulberry32) for property and crash tests: same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True when the seeds come from DEFAULT_SEEDS (coverage facts are checked across those). */
export function usingDefaultSeeds(): boolean {
  return Deno.env.get("PLANCK_SEED") === undefined;
}

/** The seeds for a randomized test: `count` of the fixed defaults, or what PLANCK_SEED names. */
export function testSeeds(count = 3): number[] {
  if (!(count >= 1 && count <= DEFAULT_SEEDS.length)) {
    throw new RangeError(`testSeeds: count ${count} outside 1..${DEFAULT_SEEDS.length}`);
  }
  const env = Deno.env.get("PLANCK_SEED")?.trim();
  if (env === undefined || env === "") return DEFAULT_SEEDS.slice(0, count);
  const random = /^random(?::(\d+))?$/.exec(env);
  if (random !== null) {
    const n = random[1] === undefined ? 1 : Number(random[1]);
    if (!(n >= 1 && n <= RANDOM_SEEDS_MAX)) {
      throw new RangeError(`PLANCK_SEED=${env}: count outside 1..${RANDOM_SEEDS_MAX}`);
    }
    return Array.from({ length: n }, () => Math.floor(Math.random() * 2 ** 32));
  }
  const seeds = env.split(",").map((part) => Number(part.trim()));
  for (const [i, seed] of seeds.entries()) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`PLANCK_SEED=${env}: item ${i + 1} is not a non-negative integer`);
    }
  }
  return seeds;
}

/** The first seed of `testSeeds()`: for tests that take one seed per run. */
export function testSeed(): number {
  return testSeeds(1)[0];
}

/**
 * Runs `body` once per seed of `testSeeds(count)`, printing the seeds; a failure is rethrown naming
 * the seed and the command that replays it.
 */
export async function forEachSeed(
  name: string,
  body: (seed: number) => void | Promise<void>,
  count = 3,
): Promise<void> {
  const seeds = testSeeds(count);
  console.log(`${name}: seeds ${seeds.join(", ")} (replay one with PLANCK_SEED=<seed>)`);
  for (const seed of seeds) {
    try {
      await body(seed);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${name} failed with PLANCK_SEED=${seed}: ${message}`, { cause: error });
    }
  }
}
