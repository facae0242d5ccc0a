/**
 * Conditions: immutable wrappers around a Filter, combined with and / or / not. A condition made
 * by the untyped `where(field)` also carries, in its type only, the requirements its fields and
 * values place on the document type; `StoreQuery<T>.filter` checks them against T.
 *
 * Canonical form (the same PQL produces): chaining flattens a run, `a.and(b).and(c)` gives
 * `{ and: [a, b, c] }` like `a and b and c`; an operand that is itself a combination stays nested,
 * `a.and(b.and(c))` gives `{ and: [a, { and: [b, c] }] }` like `a and (b and c)`; a single
 * predicate is never wrapped. Imports nothing server-side (runs inside wasm guests).
 */
import type { Filter } from "../protocol/query_document.ts";
import type { ContainsValue, ElementOf, EqualValue, FieldPath, PathValue, RangeValue } from "./paths.ts";

/** What a predicate needs of the field it tests. */
export type RequirementKind = "eq" | "range" | "contains" | "string" | "exists";

/** A requirement on document type T: path P must exist and accept values V for operation K. */
export interface Requirement<
  P extends string = string,
  K extends RequirementKind = RequirementKind,
  V = unknown,
> {
  path: P;
  kind: K;
  value: V;
}

type StringsIn<V> = Extract<NonNullable<V> | ElementOf<NonNullable<V>>, string>;

/** Values a field at P of T accepts for operation K. */
export type Accepted<T, P extends string, K> = K extends "eq" ? EqualValue<PathValue<T, P>>
  : K extends "range" ? RangeValue<PathValue<T, P>>
  : K extends "contains" ? ContainsValue<PathValue<T, P>>
  : K extends "string" ? [StringsIn<PathValue<T, P>>] extends [never] ? never : string
  : unknown;

/** The requirements in R that document type T does not meet. */
export type Violations<T, R> = R extends Requirement<infer P, infer K, infer V>
  ? P extends FieldPath<T> ? [V] extends [Accepted<T, P, K>] ? never : R
  : R
  : never;

/** `unknown` when T meets R; otherwise an object type naming the violations (a type error). */
export type Checked<T, R> = [Violations<T, R>] extends [never] ? unknown
  : { "field or value type does not match the document type": Violations<T, R> };

/** A filter under construction; R records requirements for the document type (types only). */
export class Condition<R = never> {
  readonly #filter: Filter;
  readonly #run: "and" | "or" | undefined;
  /** Type-level only: the requirements this condition places on the document type. */
  declare readonly requirements?: R;

  /** Wraps a filter; `run` marks a chain that a further and/or of the same kind extends. */
  constructor(filter: Filter, run?: "and" | "or") {
    this.#filter = filter;
    this.#run = run;
  }

  /** The canonical Filter. */
  toFilter(): Filter {
    return this.#filter;
  }

  #join<R2>(kind: "and" | "or", other: Condition<R2>): Condition<R | R2> {
    const left = this.#run === kind ? (this.#filter as Record<typeof kind, Filter[]>)[kind] : [this.#filter];
    const filter = kind === "and"
      ? { and: [...left, other.toFilter()] }
      : { or: [...left, other.toFilter()] };
    return new Condition<R | R2>(filter, kind);
  }

  /** Both this and `other`. */
  and<R2>(other: Condition<R2>): Condition<R | R2> {
    return this.#join("and", other);
  }

  /** Either this or `other`. */
  or<R2>(other: Condition<R2>): Condition<R | R2> {
    return this.#join("or", other);
  }

  /** The negation of this condition. */
  not(): Condition<R> {
    return new Condition<R>({ not: this.#filter });
  }
}

type RequirementsOf<C> = C extends Condition<infer R> ? R : never;

/** All of the conditions (a single one stands alone). */
export function and<C extends Condition<unknown>[]>(
  ...conditions: [...C]
): Condition<RequirementsOf<C[number]>> {
  if (conditions.length === 1) return conditions[0] as Condition<RequirementsOf<C[number]>>;
  return new Condition({ and: conditions.map((c) => c.toFilter()) });
}

/** Any of the conditions (a single one stands alone). */
export function or<C extends Condition<unknown>[]>(
  ...conditions: [...C]
): Condition<RequirementsOf<C[number]>> {
  if (conditions.length === 1) return conditions[0] as Condition<RequirementsOf<C[number]>>;
  return new Condition({ or: conditions.map((c) => c.toFilter()) });
}

/** The negation of a condition. */
export function not<R>(condition: Condition<R>): Condition<R> {
  return condition.not();
}
