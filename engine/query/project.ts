/**
 * Projection: `select` keeps fields, `exclude` drops them; compiled once per query into a function
 * from (document, key) to the result row.
 *
 * Invariants:
 * - The result always carries `key` (the document key) as its first field; select/exclude of
 *   "key" change nothing.
 * - The input document is never mutated (documents may be shared with a cache); unchanged
 *   subtrees are shared with the input, changed ones are copied.
 * - A path through an array applies to every object element ("items.sku" keeps the sku of each
 *   item, non-object elements are dropped); select wins over a longer overlapping select path
 *   ("a" and "a.b" keep all of a). select applies first, then exclude.
 */
import type { Document } from "../../protocol/query_document.ts";
import { isPlainObject } from "./compare.ts";
import { KEY_PATH, parsePath } from "./path.ts";

/** A compiled projection. */
export type Projection = (doc: Document, key: string) => Document;

/** A trie of paths: `true` marks a whole field. */
type PathTree = Map<string, PathTree | true>;

function buildTree(paths: readonly string[]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    if (path === KEY_PATH) continue;
    const segments = parsePath(path);
    let node = root;
    for (let i = 0; i < segments.length; i++) {
      const existing = node.get(segments[i]);
      if (existing === true) break; // a shorter path already keeps this whole field
      if (i === segments.length - 1) {
        node.set(segments[i], true);
        break;
      }
      const next: PathTree = existing ?? new Map();
      node.set(segments[i], next);
      node = next;
    }
  }
  return root;
}

/** Sets an own data property, even one named "__proto__" (plain assignment would set the prototype). */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === "__proto__") {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

function keep(value: Record<string, unknown>, tree: PathTree): Document {
  const out: Document = {};
  for (const [name, sub] of tree) {
    if (!Object.hasOwn(value, name)) continue;
    const field = value[name];
    if (sub === true) {
      setField(out, name, field);
    } else if (isPlainObject(field)) {
      setField(out, name, keep(field, sub));
    } else if (Array.isArray(field)) {
      setField(out, name, field.filter(isPlainObject).map((element) => keep(element, sub)));
    }
  }
  return out;
}

function drop(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((element) => drop(element, tree));
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [name, sub] of tree) {
    if (!Object.hasOwn(value, name)) continue;
    out ??= { ...value };
    if (sub === true) delete out[name];
    else setField(out, name, drop(value[name], sub));
  }
  return out ?? value;
}

/**
 * Compiles select/exclude into a row builder.
 * @returns a function returning `{ key, ...projected fields }`
 */
export function compileProjection(
  options: { select?: readonly string[]; exclude?: readonly string[] },
): Projection {
  const selectTree = options.select === undefined ? undefined : buildTree(options.select);
  const excludeTree = options.exclude === undefined ? undefined : buildTree(options.exclude);
  const hasExclude = excludeTree !== undefined && excludeTree.size > 0;
  return (doc, key) => {
    let fields: Record<string, unknown> = selectTree === undefined ? doc : keep(doc, selectTree);
    if (hasExclude) fields = drop(fields, excludeTree) as Record<string, unknown>;
    const row: Document = { key };
    for (const name of Object.keys(fields)) {
      if (name !== KEY_PATH) setField(row, name, fields[name]);
    }
    return row;
  };
}
