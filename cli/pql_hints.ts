/**
 * Help for people new to PQL: the `help` text of `planck pql` (REPL and piped), and a hint added to
 * a syntax error when the statement looks like SQL or quotes strings with single quotes.
 */

/** What `help` prints: every statement form, one line each (docs/pql.md has the grammar). */
export const PQL_HELP =
  `PQL statements (docs/pql.md has the grammar; strings are JSON strings in double quotes):
  orders                                       every document of a store
  orders.filter(amount > 1 and status = "open").orderBy(amount desc).limit(10)
  orders.filter(F).count()                     count matches
  orders.groupBy(status).aggregate(n: count(), total: sum(amount))
  orders.get("<key>")                          one document by key
  orders.insert({"title": "Tea", "amount": 3.5})   insert (the store is created on first insert)
  orders.filter(F).set({"status": "paid"})     update matches (also .unset(a), .inc({"n": 1}))
  orders.replace("<key>", {…})                 replace one document
  orders.filter(F).delete()  /  orders.delete("<key>")
  explain orders.filter(F)                     the plan, without running it
  create store s  /  drop store s  /  show stores
  create [unique] index i on s(a, b desc)  /  drop index i  /  show indexes on s
Conditions: = != > >= < <=, in [..], not in [..], between x and y, exists, contains, startsWith, ~ "regex",
and / or / not, parentheses. ".exit" leaves the REPL.`;

const SQL = /^\s*(select|insert\s+into|update|delete\s+from|create\s+table|drop\s+table)\b/i;

/** True when `text` has a single quote outside double-quoted strings. */
function singleQuoted(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString && c === "\\") i++;
    else if (c === '"') inString = !inString;
    else if (c === "'" && !inString) return true;
  }
  return false;
}

/** A hint for a statement that failed to parse, or "" when none applies. */
export function pqlHint(statement: string): string {
  if (SQL.test(statement)) {
    return 'PQL is not SQL: a query starts with the store, e.g. orders.filter(amount > 1).limit(10); "help" lists the statements';
  }
  if (singleQuoted(statement)) {
    return `strings are JSON strings in double quotes: write "open", not 'open'`;
  }
  return "";
}

/** True for the line that asks for help. */
export function isHelp(line: string): boolean {
  return /^\s*\.?(help|\?)\s*$/i.test(line);
}
