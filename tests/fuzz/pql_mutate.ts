/**
 * Mutated PQL statements for fuzzing: a corpus of valid statements (every construct of docs/pql.md),
 * fragments that sit near tokens, and edits (delete, insert, duplicate, truncate, replace, splice).
 * Used by the parser fuzz test and by the PQL execution target of the fuzz harness.
 */
import { pick } from "./harness.ts";

export const PQL_CORPUS = [
  'orders.filter(status = "open" and amount >= 10).orderBy(created desc).limit(20)',
  'orders.filter(customer.country in ["DE", "FR"] or not (tags contains "vip")).count()',
  'orders.filter(note ~ "^urgent" i).pluck(key, status, amount)',
  'orders.filter(created between date("2026-01-01") and date("2026-02-01T10:00:00+01:00")).skip(40).limit(20)',
  'orders.orderBy(amount desc, created asc).after("01926f3c7d2a4b6e8f00112233445566").limit(50)',
  "orders.groupBy(status).aggregate(n: count(), total: sum(amount), avg: avg(amount), top: max(amount))",
  'orders.get("01926f3c7d2a4b6e8f00112233445566")',
  "orders.range(0x0192, 0x0193).limit(100)",
  'explain orders.filter(status = "open").orderBy(created desc).limit(10)',
  'orders.insert({"status": "open", "amount": 12.5, "tags": ["new"], "at": date("2026-01-01")})',
  'orders.insert([{"a": -1e-3}, {"b": {"c": [null, true, false, "\\u00e9\\n"]}}])',
  'orders.filter(status = "open" and created < date("2026-01-01")).set({"status": "stale"})',
  'orders.filter(status = "stale").unset(note, items[0].sku)',
  'orders.filter(key = "0x1f").inc({"views": 1})',
  'orders.replace("01926f3c7d2a4b6e8f00112233445566", {"status": "paid"})',
  'orders.filter(status = "cancelled").delete()',
  "orders.delete(0xABC)",
  "create store orders",
  "drop store orders",
  "create unique index users_email on users(email, created desc)",
  "drop index orders_status",
  "show stores",
  "show indexes on orders",
  'orders.filter(a exists false or ("b c".d[3] startsWith "x" and e not in []))',
];

/** Fragments spliced into statements: tokens, near-tokens and troublemakers. */
export const PQL_FRAGMENTS = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ".",
  ",",
  ":",
  ";",
  "~",
  "=",
  "!=",
  "!",
  "<",
  ">=",
  "-",
  "0x",
  "0",
  "01",
  "1.",
  "1e",
  "9".repeat(25),
  '"',
  "\\",
  "\\u",
  "\\q",
  "\n",
  "\r\n",
  "\t",
  " ",
  "é",
  "😀",
  "\ud800",
  "\u0000",
  "and",
  "or",
  "not",
  "in",
  "between",
  "exists",
  "null",
  "true",
  "date(",
  'date("2026-02-30")',
  ".filter(",
  ".limit(",
  ".count()",
  ".delete()",
  "explain ",
  "create ",
  "key",
  "__proto__",
  '"__proto__": 1',
  "group",
  "((((((((",
  "))))))))",
  "not not not ",
  "[[[[[[",
  '{"a": {"a": ',
];

/** Applies one random edit to `text`. */
function mutate(random: () => number, text: string): string {
  const at = Math.floor(random() * (text.length + 1));
  const span = Math.floor(random() * 8);
  switch (Math.floor(random() * 6)) {
    case 0: // delete a slice
      return text.slice(0, at) + text.slice(at + span);
    case 1: // insert a fragment
      return text.slice(0, at) + pick(random, PQL_FRAGMENTS) + text.slice(at);
    case 2: // duplicate a slice
      return text.slice(0, at + span) + text.slice(at, at + span) + text.slice(at + span);
    case 3: // truncate
      return text.slice(0, at);
    case 4: // replace one character with any code unit
      return text.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x10000)) + text.slice(at + 1);
    default: // splice in part of another statement
      return text.slice(0, at) + pick(random, PQL_CORPUS).slice(span) + text.slice(at);
  }
}

/** A random statement: a mutated corpus entry, or a random run of fragments. */
export function pqlStatement(random: () => number): string {
  if (random() < 0.15) {
    return Array.from({ length: Math.floor(random() * 20) }, () => pick(random, PQL_FRAGMENTS)).join("");
  }
  let text = pick(random, PQL_CORPUS);
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) text = mutate(random, text);
  return text;
}
