/**
 * Type-level field paths for the typed builder: `FieldPath<T>` is every dotted path into a
 * document type T ("status", "customer.country", "items.sku", "items.0.sku", and "key"), and
 * `PathValue<T, P>` is the type found there. Types only: nothing here exists at run time.
 *
 * Invariants: recursion stops after PATH_DEPTH levels (deeper paths are not offered); a type with
 * a string index signature (an untyped Document) accepts any path with Value-typed values.
 */
import type { Value } from "../protocol/query_document.ts";

/** Leaf types: never descended into. */
type Leaf = null | undefined | boolean | number | bigint | string | Date | Uint8Array;

/** Depth counter: PATH_DEPTH levels below the root. */
type Depth = [never, 0, 1, 2, 3, 4];
type PATH_DEPTH = 5;

type SubPaths<V, D extends number> = [D] extends [never] ? never
  : V extends Leaf ? never
  : V extends readonly (infer E)[] ? `${number}` | Paths<E, D> | `${number}.${Paths<E, D>}`
  : Paths<V, D>;

/** Dotted paths into T (without "key"). */
export type Paths<T, D extends number = PATH_DEPTH> = [D] extends [never] ? never
  : T extends Leaf ? never
  : T extends readonly (infer E)[] ? SubPaths<E[], D>
  : string extends keyof T ? string
  : {
    [K in keyof T & string]:
      | K
      | (SubPaths<NonNullable<T[K]>, Depth[D]> extends infer S extends string ? `${K}.${S}` : never);
  }[keyof T & string];

/** A field path of T, including "key" (the document key). */
export type FieldPath<T> = Paths<T> | "key";

/** The value type at path P of T (array elements for paths that fan out over arrays). */
export type PathValue<T, P extends string> = P extends "key" ? string
  : T extends readonly (infer E)[] ? P extends `${number}` ? E
    : P extends `${number}.${infer R}` ? PathValue<E, R>
    : PathValue<E, P>
  : string extends keyof T ? Value
  : P extends keyof T ? T[P]
  : P extends `${infer K}.${infer R}` ? K extends keyof T ? PathValue<NonNullable<T[K]>, R> : never
  : never;

/** The element type of an array type, else never. */
export type ElementOf<V> = V extends readonly (infer E)[] ? E : never;

/** Values an equality (eq, ne, in, nin) may compare a field of type V with. */
export type EqualValue<V> = NonNullable<V> | ElementOf<NonNullable<V>> | null;

/** Widened type for ordering comparisons: numbers with bigints, literals to their base type. */
export type Comparable<V> = V extends number | bigint ? number | bigint
  : V extends string ? string
  : V extends boolean ? boolean
  : V;

/** Values a range comparison (gt, gte, lt, lte, between) may use on a field of type V. */
export type RangeValue<V> = Comparable<NonNullable<V> | ElementOf<NonNullable<V>>>;

/** Values `contains` may look for in a field of type V: an element, or a substring. */
export type ContainsValue<V> = NonNullable<V> extends string ? string : ElementOf<NonNullable<V>>;

/** Numeric paths of T (for sum, avg and inc). */
export type NumericPath<T> = {
  [P in FieldPath<T>]: NonNullable<PathValue<T, P>> extends number | bigint ? P
    : Value extends PathValue<T, P> ? P
    : never;
}[FieldPath<T>];

/** The first segment of a dotted path. */
export type Head<P extends string> = P extends `${infer H}.${string}` ? H : P;
