/**
 * Schema validation for request input: `schema.object({ title: schema.string({ min: 1 }), amount:
 * schema.number({ min: 0 }) })`. `validate` returns the typed value or every violation, each
 * naming its field (dotted path), so a 400 tells the caller exactly what to fix.
 *
 * Numbers, booleans and dates are coerced from strings (form bodies and query strings carry text).
 * `.default(v)` fills a missing field; `.optional()` lets it stay missing.
 */

/** One violation. */
export interface Issue {
  field: string;
  message: string;
}

/** A validator of T. */
export interface Schema<T> {
  /** The value, or issues (paths under `field`). */
  check(value: unknown, field: string): { ok: true; value: T } | { ok: false; issues: Issue[] };
  /** The same schema, also accepting a missing value (undefined or ""). */
  optional(): Schema<T | undefined>;
  /** The same schema, with `value` (or what `value()` returns) standing in for a missing one. */
  default(value: T | (() => T)): Schema<T>;
}

/** The type a schema validates. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

function make<T>(check: Schema<T>["check"]): Schema<T> {
  const schema: Schema<T> = {
    check,
    optional: () =>
      make<T | undefined>((value, field) =>
        value === undefined || value === "" ? { ok: true, value: undefined } : check(value, field)
      ),
    default: (fallback) =>
      make<T>((value, field) =>
        value === undefined || value === ""
          ? { ok: true, value: typeof fallback === "function" ? (fallback as () => T)() : fallback }
          : check(value, field)
      ),
  };
  return schema;
}

const bad = (field: string, message: string) => ({ ok: false as const, issues: [{ field, message }] });

function string(options: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
  return make((value, field) => {
    if (typeof value !== "string") return bad(field, "must be a string");
    if (options.min !== undefined && value.length < options.min) {
      return bad(field, options.min === 1 ? "is required" : `must be at least ${options.min} characters`);
    }
    if (options.max !== undefined && value.length > options.max) {
      return bad(field, `must be at most ${options.max} characters`);
    }
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      return bad(field, "has the wrong format");
    }
    return { ok: true, value };
  });
}

function number(options: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
  return make((value, field) => {
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) return bad(field, "must be a number");
    if (options.integer === true && !Number.isInteger(n)) return bad(field, "must be an integer");
    if (options.min !== undefined && n < options.min) return bad(field, `must be at least ${options.min}`);
    if (options.max !== undefined && n > options.max) return bad(field, `must be at most ${options.max}`);
    return { ok: true, value: n };
  });
}

function boolean(): Schema<boolean> {
  return make((value, field) => {
    if (value === true || value === "true" || value === "on") return { ok: true, value: true };
    if (value === false || value === "false") return { ok: true, value: false };
    return bad(field, "must be a boolean");
  });
}

function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return make((value, field) =>
    values.includes(value as T)
      ? { ok: true, value: value as T }
      : bad(field, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`)
  );
}

function date(): Schema<Date> {
  return make((value, field) => {
    const d = value instanceof Date ? value : typeof value === "string" ? new Date(value) : undefined;
    if (d === undefined || Number.isNaN(d.getTime())) return bad(field, "must be a date");
    return { ok: true, value: d };
  });
}

function array<T>(item: Schema<T>): Schema<T[]> {
  return make((value, field) => {
    if (!Array.isArray(value)) return bad(field, "must be an array");
    const out: T[] = [];
    const issues: Issue[] = [];
    value.forEach((v, i) => {
      const r = item.check(v, `${field}.${i}`);
      if (r.ok) out.push(r.value);
      else issues.push(...r.issues);
    });
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: out };
  });
}

/** The object type of a shape: fields whose schema allows undefined (`.optional()`) are optional keys. */
export type ObjectOf<S extends Record<string, Schema<unknown>>> =
  & { [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]> }
  & { [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]> };

function object<S extends Record<string, Schema<unknown>>>(
  shape: S,
): Schema<ObjectOf<S>> {
  return make((value, field) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return bad(field === "" ? "(body)" : field, "must be an object");
    }
    const out: Record<string, unknown> = {};
    const issues: Issue[] = [];
    for (const [key, schema] of Object.entries(shape)) {
      const r = schema.check((value as Record<string, unknown>)[key], field === "" ? key : `${field}.${key}`);
      if (r.ok) {
        if (r.value !== undefined) out[key] = r.value;
      } else issues.push(...r.issues);
    }
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: out as ObjectOf<S> };
  });
}

/** Schema constructors. */
export const schema = { string, number, boolean, date, oneOf, enum: oneOf, array, object };

/** Validates `value`: the typed value or the list of issues. */
export function validate<T>(
  s: Schema<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  return s.check(value, "");
}
