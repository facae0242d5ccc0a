/**
 * Typed models: one declaration of a store's documents — field types, required fields, ranges,
 * enums and defaults — that validates every write, decodes every read and gives the TypeScript
 * type, the same in a handler (host calls) and in a native program (the TCP client).
 *
 * @example
 * ```ts
 * import { type Infer, model, schema } from "./mod.ts";
 * const Order = model("orders", {
 *   title: schema.string({ min: 1, max: 200 }),
 *   amount: schema.number({ min: 0 }),
 *   status: schema.enum(["open", "paid"]).default("open"),
 * });
 * type Order = Infer<typeof Order>;
 * const order: Order = Order.parse({ title: "Tea", amount: "3.5" }); // status "open", amount 3.5
 * ```
 *
 * Invariants: a write that does not fit the model never reaches the transport (ValidationError
 * naming every bad field); a read that does not fit is a ValidationError too (code `corruption`
 * would be wrong: the data is intact, the model changed), with the document's key in the field path.
 */
import { from, type StoreQuery } from "../builder/query_builder.ts";
import type { Transport } from "../builder/transport.ts";
import type { Document, QueryDocument } from "../protocol/query_document.ts";
import { hostTransport } from "./host.ts";
import { type Issue, type ObjectOf, type Schema, schema, validate } from "./schema.ts";

/** A value that does not fit a model or schema; `issues` names every bad field. */
export class ValidationError extends Error {
  readonly code = "invalid_argument";
  readonly issues: Issue[];
  /** The first bad field (dotted path). */
  readonly field: string;
  constructor(issues: Issue[], what = "Invalid input") {
    super(`${what}: ${issues.map((i) => `${i.field} ${i.message}`).join("; ")}`);
    this.name = "ValidationError";
    this.issues = issues;
    this.field = issues[0]?.field ?? "";
  }
}

/** Something that runs query documents: a PlanckClient (`client.query`) or a Transport. */
export type QueryRunner = Transport | { query(query: QueryDocument): Promise<unknown> };

/** A model of the documents of one store. */
export interface Model<T> extends Schema<T> {
  /** The store's name. */
  readonly name: string;
  /** The validated value with defaults applied. @throws ValidationError */
  parse(value: unknown): T;
  /**
   * The typed builder over the store: inserts and replaces are validated (defaults applied),
   * finds and gets decoded. Without a runner it uses the service's host calls.
   */
  store(runner?: QueryRunner): StoreQuery<T>;
}

/** Declares the model of store `name`. */
export function model<S extends Record<string, Schema<unknown>>>(
  name: string,
  shape: S,
): Model<ObjectOf<S>> {
  type T = ObjectOf<S>;
  const objectSchema = schema.object(shape);
  const parse = (value: unknown): T => {
    const result = validate(objectSchema, value);
    if (!result.ok) throw new ValidationError(result.issues);
    return result.value;
  };
  const modelValue: Model<T> = {
    name,
    check: objectSchema.check,
    optional: objectSchema.optional,
    default: objectSchema.default,
    parse,
    store: (runner) => from<T>(name, checkedTransport(toTransport(runner), parse, objectSchema)),
  };
  return modelValue;
}

function toTransport(runner: QueryRunner | undefined): Transport {
  if (runner === undefined) return hostTransport;
  if ("run" in runner) return runner;
  return { run: (query) => runner.query(query) };
}

/** Validates the documents a query writes and decodes the ones it reads. */
function checkedTransport<T>(inner: Transport, parse: (value: unknown) => T, s: Schema<T>): Transport {
  const decode = (row: unknown): unknown => {
    if (row === null || typeof row !== "object") return row;
    const { key, ...fields } = row as Document & { key?: string };
    const result = s.check(fields, `(key ${key})`);
    if (!result.ok) throw new ValidationError(result.issues, "Stored document does not fit the model");
    return { ...result.value as object, key };
  };
  return {
    async run(query) {
      if (query.op === "insert") {
        query = { ...query, documents: query.documents.map((d) => parse(d) as Document) };
      } else if (query.op === "replace") {
        query = { ...query, document: parse(query.document) as Document };
      }
      const result = await inner.run(query);
      if (query.op === "get") return decode(result);
      if (
        query.op === "find" && Array.isArray(result) && query.select === undefined &&
        query.exclude === undefined
      ) {
        return result.map(decode);
      }
      return result;
    },
  };
}
