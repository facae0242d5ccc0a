/**
 * Field predicates: `where("amount").gte(10)` builds one canonical field Filter. Two forms:
 * - `where(field)` infers the field name; its conditions record what they need of the document
 *   type, checked when passed to `StoreQuery<T>.filter` (so `from<Order>("orders")
 *   .filter(where("amount").gte("x"))` fails to compile when amount is a number);
 * - `whereOf<T>()` returns a `where` typed against T, checking field and value at the call
 *   (`whereOf<Order>()("amount").gte("x")` fails to compile). TypeScript cannot infer the field
 *   once T is given explicitly, so `where<T>(field)` is spelled `whereOf<T>()(field)`.
 * Imports nothing server-side (runs inside wasm guests).
 */
import type { CompareOp, Filter, Value } from "../protocol/query_document.ts";
import { Condition, type Requirement } from "./condition.ts";
import type { ContainsValue, EqualValue, FieldPath, PathValue, RangeValue } from "./paths.ts";

/** A field of an untyped where(): each predicate records its requirement on the document type. */
export class Field<P extends string> {
  readonly #path: P;

  constructor(path: P) {
    this.#path = path;
  }

  #compare(op: CompareOp, value: Value): Filter {
    return { field: this.#path, op, value };
  }

  /** Equal (an array field matches if any element is equal; null also matches missing). */
  eq<V extends Value>(value: V): Condition<Requirement<P, "eq", V>> {
    return new Condition(this.#compare("eq", value));
  }
  /** Not equal (matches missing fields). */
  ne<V extends Value>(value: V): Condition<Requirement<P, "eq", V>> {
    return new Condition(this.#compare("ne", value));
  }
  /** Greater than (same type only). */
  gt<V extends Value>(value: V): Condition<Requirement<P, "range", V>> {
    return new Condition(this.#compare("gt", value));
  }
  /** Greater than or equal (same type only). */
  gte<V extends Value>(value: V): Condition<Requirement<P, "range", V>> {
    return new Condition(this.#compare("gte", value));
  }
  /** Less than (same type only). */
  lt<V extends Value>(value: V): Condition<Requirement<P, "range", V>> {
    return new Condition(this.#compare("lt", value));
  }
  /** Less than or equal (same type only). */
  lte<V extends Value>(value: V): Condition<Requirement<P, "range", V>> {
    return new Condition(this.#compare("lte", value));
  }
  /** Equal to one of the values. */
  in<V extends Value>(values: readonly V[]): Condition<Requirement<P, "eq", V>> {
    return new Condition({ field: this.#path, op: "in", values: [...values] });
  }
  /** Equal to none of the values (matches missing fields). */
  nin<V extends Value>(values: readonly V[]): Condition<Requirement<P, "eq", V>> {
    return new Condition({ field: this.#path, op: "nin", values: [...values] });
  }
  /** Between low and high, inclusive. */
  between<L extends Value, H extends Value>(low: L, high: H): Condition<Requirement<P, "range", L | H>> {
    return new Condition({ field: this.#path, op: "between", low, high });
  }
  /** Present (or, with false, missing). */
  exists(present = true): Condition<Requirement<P, "exists", unknown>> {
    return new Condition({ field: this.#path, op: "exists", value: present });
  }
  /** An array with an element equal to `value`, or a string containing it. */
  contains<V extends Value>(value: V): Condition<Requirement<P, "contains", V>> {
    return new Condition({ field: this.#path, op: "contains", value });
  }
  /** A string starting with `prefix`. */
  startsWith(prefix: string): Condition<Requirement<P, "string", string>> {
    return new Condition({ field: this.#path, op: "startsWith", value: prefix });
  }
  /** A string matching a JavaScript regular expression (flags from i, m, s, u, v). */
  regex(pattern: string | RegExp, flags?: string): Condition<Requirement<P, "string", string>> {
    const source = pattern instanceof RegExp ? pattern.source : pattern;
    const allFlags = pattern instanceof RegExp ? pattern.flags : flags ?? "";
    const filter: Filter = allFlags === ""
      ? { field: this.#path, op: "regex", pattern: source }
      : { field: this.#path, op: "regex", pattern: source, flags: allFlags };
    return new Condition(filter);
  }
}

/** A field of a typed where: values are checked against the field's type at the call. */
export interface TypedField<T, P extends FieldPath<T>> {
  eq(value: EqualValue<PathValue<T, P>>): Condition;
  ne(value: EqualValue<PathValue<T, P>>): Condition;
  gt(value: RangeValue<PathValue<T, P>>): Condition;
  gte(value: RangeValue<PathValue<T, P>>): Condition;
  lt(value: RangeValue<PathValue<T, P>>): Condition;
  lte(value: RangeValue<PathValue<T, P>>): Condition;
  in(values: readonly EqualValue<PathValue<T, P>>[]): Condition;
  nin(values: readonly EqualValue<PathValue<T, P>>[]): Condition;
  between(low: RangeValue<PathValue<T, P>>, high: RangeValue<PathValue<T, P>>): Condition;
  exists(present?: boolean): Condition;
  contains(value: ContainsValue<PathValue<T, P>>): Condition;
  startsWith(prefix: string): Condition;
  regex(pattern: string | RegExp, flags?: string): Condition;
}

/** Starts a predicate on `field` (a dotted path; "key" is the document key). */
export function where<P extends string>(field: P): Field<P> {
  return new Field(field);
}

/** A `where` typed against document type T: field names and values are checked at the call. */
export function whereOf<T>(): <P extends FieldPath<T>>(field: P) => TypedField<T, P> {
  return <P extends FieldPath<T>>(field: P) => new Field(field) as unknown as TypedField<T, P>;
}
