/**
 * Schema validation for request input: `schema.object({ title: schema.string({ min: 1 }), amount:
 * schema.number({ min: 0 }) })`. `validate` returns the typed value or every violation, each
 * naming its field (dotted path), so a 400 tells the caller exactly what to fix.
 *
 * Numbers and booleans are coerced from strings (form bodies and query strings carry text).
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

function object<S extends Record<string, Schema<unknown>>>(
  shape: S,
): Schema<{ [K in keyof S]: Infer<S[K]> }> {
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
    return issues.length > 0
      ? { ok: false, issues }
      : { ok: true, value: out as { [K in keyof S]: Infer<S[K]> } };
  });
}

/** Schema constructors. */
export const schema = { string, number, boolean, oneOf, array, object };

/** Validates `value`: the typed value or the list of issues. */
export function validate<T>(
  s: Schema<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  return s.check(value, "");
}
