/**
 * Seeded random document values of every type the query layer orders, for property tests. Seeds
 * come from tests/_util/random.ts (fixed by default; PLANCK_SEED replays one or draws fresh ones);
 * a failure names its seed.
 */
import { Binary, Decimal128, Long, ObjectId } from "bson";
import { testSeed, testSeeds } from "../../_util/random.ts";

export { testSeed };

/** A seeded PRNG (mulberry32). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One of the items. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Runs `body` with a seeded Random; on failure, rethrows with the seed in the message. */
export function withSeed(body: (random: Random) => void): void {
  for (const seed of testSeeds()) {
    try {
      body(new Random(seed));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Property failed with PLANCK_SEED=${seed}: ${message}`, { cause: error });
    }
  }
}

const EDGE_DOUBLES = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e-300,
  -1e-300,
  5e-324,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Infinity,
  -Infinity,
  NaN,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  1e20,
];

const BIG_BASES = [
  0n,
  2n ** 53n,
  -(2n ** 53n),
  2n ** 62n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  10n ** 20n,
  2n ** 1024n,
];

const STRING_ATOMS = [
  "",
  "a",
  "b",
  "ab",
  "\u0000",
  "\u0001",
  "z",
  "é",
  "\u00ff",
  "\uffff",
  "\ue000",
  "😀",
  "\ud800",
  "\udc00",
  "𐀀",
  "A",
];

function randomString(random: Random): string {
  let s = "";
  const n = random.int(4);
  for (let i = 0; i < n; i++) s += random.pick(STRING_ATOMS);
  return s;
}

function randomNumber(random: Random): unknown {
  switch (random.int(6)) {
    case 0:
      return random.pick(EDGE_DOUBLES);
    case 1:
      return random.int(21) - 10;
    case 2:
      return (random.next() - 0.5) * 10 ** random.int(30);
    case 3:
      return random.pick(BIG_BASES) + BigInt(random.int(7) - 3);
    case 4:
      return BigInt(random.int(21) - 10);
    default:
      return Long.fromBigInt(BigInt.asIntN(64, random.pick(BIG_BASES) + BigInt(random.int(7) - 3)));
  }
}

function randomBytes(random: Random): Uint8Array {
  const bytes = new Uint8Array(random.int(4));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.pick([0, 1, 0x7f, 0xff]);
  return bytes;
}

/** A random value of any type; `depth` bounds nesting. */
export function randomValue(random: Random, depth = 2): unknown {
  switch (random.int(depth > 0 ? 14 : 12)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
    case 3:
      return randomNumber(random);
    case 4:
    case 5:
      return randomString(random);
    case 6:
      return random.int(2) === 0;
    case 7:
      return random.int(3) === 0 ? new Date(NaN) : new Date(random.int(5) * 1000 - 2000);
    case 8:
      return random.int(2) === 0 ? randomBytes(random) : new Binary(randomBytes(random));
    case 9:
      return ObjectId.createFromHexString(random.pick(["00", "ff", "7f"]).repeat(12));
    case 10:
      return random.int(2) === 0 ? /a/i : Decimal128.fromString(String(random.int(3)));
    case 11:
      return random.int(2) === 0 ? random.int(3) : randomString(random);
    case 12: {
      const out: unknown[] = [];
      const n = random.int(3);
      for (let i = 0; i < n; i++) out.push(randomValue(random, depth - 1));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      const n = random.int(3);
      for (let i = 0; i < n; i++) out[random.pick(["a", "b", "", "\u0000"])] = randomValue(random, depth - 1);
      return out;
    }
  }
}
