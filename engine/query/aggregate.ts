/**
 * Aggregation: count / sum / avg / min / max over matching documents, optionally grouped by one
 * or more fields. Feed documents with `add`, then read `rows()`.
 *
 * Semantics (docs/query.md, "Aggregates"):
 * - Group keys compare by the total order (compare.ts): 5 and 5n share a group; a missing group
 *   field groups as null. Rows come out sorted by group key; each is `{ group, <alias>: result }`,
 *   with `group` keyed by the groupBy path strings. Without groupBy there is exactly one row.
 * - sum and avg use only numbers (number, bigint, bson Long); other values are ignored. sum of
 *   doubles is compensated (Neumaier); sum of only bigints stays an exact bigint; sum of nothing
 *   is 0 and avg of nothing is null.
 * - min and max use the total order and ignore missing and null; of nothing they are null.
 * - Group fields and aggregate fields resolve strictly (path.ts getters: arrays by index only).
 *
 * Invariants: at most `groupsMax` groups are held (AGGREGATE_GROUPS_MAX by default); one more
 * throws `limit_exceeded`.
 */
import type { Aggregate, Document } from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { compareValues, toNumeric, TypeRank, typeRank } from "./compare.ts";
import { ByteWriter, writeValue } from "./index_key.ts";
import { AGGREGATE_GROUPS_MAX } from "./limits.ts";
import { compilePathGetter, type PathGetter } from "./path.ts";

/** One result row: `{ group: { path: value… }, alias: result… }`. */
export interface AggregateRow {
  group: Record<string, unknown>;
  [alias: string]: unknown;
}

interface Accumulator {
  add(value: unknown): void;
  result(): unknown;
}

class CountAccumulator implements Accumulator {
  #count = 0;
  add(): void {
    this.#count++;
  }
  result(): number {
    return this.#count;
  }
}

/** Numeric sum with Neumaier compensation for doubles and an exact bigint part. */
class SumAccumulator implements Accumulator {
  #double = 0;
  #compensation = 0;
  #plain = 0;
  #bigint = 0n;
  #doubles = 0;
  #bigints = 0;
  readonly #average: boolean;

  constructor(average: boolean) {
    this.#average = average;
  }

  add(value: unknown): void {
    if (typeRank(value) !== TypeRank.number) return;
    const numeric = toNumeric(value);
    if (typeof numeric === "bigint") {
      this.#bigint += numeric;
      this.#bigints++;
      return;
    }
    this.#doubles++;
    this.#plain += numeric;
    const total = this.#double + numeric;
    if (Math.abs(this.#double) >= Math.abs(numeric)) this.#compensation += this.#double - total + numeric;
    else this.#compensation += numeric - total + this.#double;
    this.#double = total;
  }

  #doubleTotal(): number {
    return Number.isFinite(this.#plain) ? this.#double + this.#compensation : this.#plain;
  }

  result(): number | bigint | null {
    const count = this.#doubles + this.#bigints;
    if (this.#average) return count === 0 ? null : (this.#doubleTotal() + Number(this.#bigint)) / count;
    if (this.#doubles === 0) return this.#bigints === 0 ? 0 : this.#bigint;
    return this.#doubleTotal() + Number(this.#bigint);
  }
}

class ExtremeAccumulator implements Accumulator {
  #value: unknown = undefined;
  readonly #sign: number;

  constructor(fn: "min" | "max") {
    this.#sign = fn === "min" ? -1 : 1;
  }

  add(value: unknown): void {
    if (value === undefined || value === null) return;
    if (this.#value === undefined || compareValues(value, this.#value) * this.#sign > 0) this.#value = value;
  }

  result(): unknown {
    return this.#value === undefined ? null : this.#value;
  }
}

/** A canonical id for a number: equal ids exactly for numbers equal in the total order. */
function numericId(value: number | bigint): string {
  if (typeof value === "bigint") {
    return value >= -9007199254740991n && value <= 9007199254740991n ? `d${Number(value)}` : `d${value}`;
  }
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return `d${BigInt(value)}`;
  return `d${value === 0 ? 0 : value}`; // String(-0) is "0" already; NaN and Infinity spell out
}

/** A Map key for a group value: equal keys exactly for values equal in the total order. */
function groupId(value: unknown, writer: ByteWriter): string {
  switch (typeof value) {
    case "string":
      return "s" + value;
    case "number":
    case "bigint":
      return numericId(value);
    case "boolean":
      return value ? "t" : "f";
  }
  if (value === null) return "n";
  if (typeRank(value) === TypeRank.number) return numericId(toNumeric(value));
  // Other types: the index encoding, one char per byte (equal bytes = equal values).
  writer.reset();
  writeValue(writer, value);
  const bytes = writer.finish();
  let id = "e";
  for (let i = 0; i < bytes.length; i++) id += String.fromCharCode(bytes[i]);
  return id;
}

function createAccumulator(aggregate: Aggregate): Accumulator {
  switch (aggregate.fn) {
    case "count":
      return new CountAccumulator();
    case "sum":
    case "avg":
      return new SumAccumulator(aggregate.fn === "avg");
    default:
      return new ExtremeAccumulator(aggregate.fn);
  }
}

interface Group {
  values: unknown[];
  accumulators: Accumulator[];
}

/** The shape of an aggregate query the aggregator needs. */
export interface AggregateSpec {
  groupBy?: readonly string[];
  aggregates: Readonly<Record<string, Aggregate>>;
}

/** Accumulates documents into groups; see the file header for semantics. */
export class Aggregator {
  readonly #groupPaths: readonly string[];
  readonly #groupGetters: PathGetter[];
  readonly #aliases: string[];
  readonly #aggregates: Aggregate[];
  readonly #fieldGetters: (PathGetter | undefined)[];
  readonly #groups = new Map<string, Group>();
  readonly #groupsMax: number;
  readonly #writer = new ByteWriter();

  constructor(spec: AggregateSpec, options: { groupsMax?: number } = {}) {
    this.#groupPaths = spec.groupBy ?? [];
    this.#groupGetters = this.#groupPaths.map(compilePathGetter);
    this.#aliases = Object.keys(spec.aggregates);
    if (this.#aliases.includes("group")) {
      throw new PlanckError("invalid_argument", `Aggregate alias "group" is reserved for the group key`, {
        field: "aggregates.group",
      });
    }
    this.#aggregates = this.#aliases.map((alias) => spec.aggregates[alias]);
    this.#fieldGetters = this.#aggregates.map((a) =>
      a.field === undefined ? undefined : compilePathGetter(a.field)
    );
    this.#groupsMax = options.groupsMax ?? AGGREGATE_GROUPS_MAX;
    if (this.#groupPaths.length === 0) this.#groups.set("", this.#newGroup([]));
  }

  #newGroup(values: unknown[]): Group {
    return { values, accumulators: this.#aggregates.map(createAccumulator) };
  }

  #groupOf(doc: Document, key: string): Group {
    const getters = this.#groupGetters;
    if (getters.length === 0) return this.#groups.get("")!;
    let values: unknown[];
    let id: string;
    if (getters.length === 1) {
      values = [getters[0](doc, key) ?? null];
      id = groupId(values[0], this.#writer);
    } else {
      values = getters.map((get) => get(doc, key) ?? null);
      id = "";
      for (const value of values) {
        const part = groupId(value, this.#writer);
        id += `${part.length}:${part}`;
      }
    }
    let group = this.#groups.get(id);
    if (group === undefined) {
      if (this.#groups.size >= this.#groupsMax) {
        throw new PlanckError(
          "limit_exceeded",
          `Aggregate produces more than AGGREGATE_GROUPS_MAX (${this.#groupsMax}) groups`,
          { limit: "AGGREGATE_GROUPS_MAX" },
        );
      }
      group = this.#newGroup(values);
      this.#groups.set(id, group);
    }
    return group;
  }

  /** Adds one matching document. */
  add(doc: Document, key: string): void {
    const group = this.#groupOf(doc, key);
    for (let i = 0; i < group.accumulators.length; i++) {
      const get = this.#fieldGetters[i];
      group.accumulators[i].add(get === undefined ? undefined : get(doc, key));
    }
  }

  /** The result rows, sorted by group key (the group values in the total order). */
  rows(): AggregateRow[] {
    const groups = [...this.#groups.values()].sort((a, b) => {
      for (let i = 0; i < a.values.length; i++) {
        const order = compareValues(a.values[i], b.values[i]);
        if (order !== 0) return order;
      }
      return 0;
    });
    return groups.map((group) => {
      const row: AggregateRow = { group: {} };
      this.#groupPaths.forEach((path, i) => (row.group[path] = group.values[i]));
      this.#aliases.forEach((alias, i) => (row[alias] = group.accumulators[i].result()));
      return row;
    });
  }
}
