/**
 * Filters of the AssemblyScript query builder: `eq("status", "open")`, `and([gt("n", 1), lt("n",
 * 5)])` …, each writing one node of the query document's filter tree (engine/query/
 * query_document.ts `Filter`) as BSON.
 *
 * Invariants: a value is written as the BSON type of its AssemblyScript type: bool → boolean,
 * i8…i32/u8…u16 → int32, i64/u32/u64 → int64, f32/f64 → double, string → string (a null string →
 * null), Date → date; any other type is a compile error.
 */
import { BsonWriter, ITEM } from "./bson";

/** Writes `value` under `key` as the BSON type of T. */
export function addValue<T>(w: BsonWriter, key: string, value: T): void {
  if (isBoolean<T>()) {
    w.addBool(key, <bool> value);
  } else if (isInteger<T>()) {
    if (sizeof<T>() == 8 || (!isSigned<T>() && sizeof<T>() == 4)) w.addI64(key, <i64> value);
    else w.addI32(key, <i32> value);
  } else if (isFloat<T>()) {
    w.addF64(key, <f64> value);
  } else if (isString<T>()) {
    if (isNullable<T>() && changetype<usize>(value) == 0) w.addNull(key);
    else w.addString(key, changetype<string>(value));
  } else if (idof<T>() == idof<Date>()) {
    w.addDate(key, changetype<Date>(value).getTime());
  } else {
    ERROR("addValue: use bool, an integer, a float, string or Date");
  }
}

/** A filter: a tree of field predicates joined by and/or/not. */
export abstract class Filter {
  /** Writes the filter as a nested document under `key`. */
  abstract write(w: BsonWriter, key: string): void;
}

class Compare<T> extends Filter {
  constructor(
    private field: string,
    private op: string,
    private value: T,
  ) {
    super();
  }
  write(w: BsonWriter, key: string): void {
    w.startDocument(key).addString("field", this.field).addString("op", this.op);
    addValue<T>(w, "value", this.value);
    w.end();
  }
}

class Among<T> extends Filter {
  constructor(
    private field: string,
    private op: string,
    private values: T[],
  ) {
    super();
  }
  write(w: BsonWriter, key: string): void {
    w.startDocument(key).addString("field", this.field).addString("op", this.op).startArray("values");
    for (let i = 0; i < this.values.length; i++) addValue<T>(w, ITEM, unchecked(this.values[i]));
    w.end().end();
  }
}

class Join extends Filter {
  constructor(
    private op: string,
    private filters: Filter[],
  ) {
    super();
  }
  write(w: BsonWriter, key: string): void {
    w.startDocument(key).startArray(this.op);
    for (let i = 0; i < this.filters.length; i++) unchecked(this.filters[i]).write(w, ITEM);
    w.end().end();
  }
}

class Negation extends Filter {
  constructor(private filter: Filter) {
    super();
  }
  write(w: BsonWriter, key: string): void {
    w.startDocument(key);
    this.filter.write(w, "not");
    w.end();
  }
}

class Exists extends Filter {
  constructor(
    private field: string,
    private present: bool,
  ) {
    super();
  }
  write(w: BsonWriter, key: string): void {
    w.startDocument(key).addString("field", this.field).addString("op", "exists")
      .addBool("value", this.present).end();
  }
}

/** `field` equals `value` (`eq null` also matches a missing field). */
export function eq<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "eq", value);
}
export function ne<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "ne", value);
}
export function gt<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "gt", value);
}
export function gte<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "gte", value);
}
export function lt<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "lt", value);
}
export function lte<T>(field: string, value: T): Filter {
  return new Compare<T>(field, "lte", value);
}
/** `field` is a string starting with `prefix`. */
export function startsWith(field: string, prefix: string): Filter {
  return new Compare<string>(field, "startsWith", prefix);
}
/** `field` equals one of `values`. */
export function isIn<T>(field: string, values: T[]): Filter {
  return new Among<T>(field, "in", values);
}
/** `field` equals none of `values`. */
export function notIn<T>(field: string, values: T[]): Filter {
  return new Among<T>(field, "nin", values);
}
/** `field` is present (or, with false, absent). */
export function exists(field: string, present: bool = true): Filter {
  return new Exists(field, present);
}
export function and(filters: Filter[]): Filter {
  return new Join("and", filters);
}
export function or(filters: Filter[]): Filter {
  return new Join("or", filters);
}
export function not(filter: Filter): Filter {
  return new Negation(filter);
}
