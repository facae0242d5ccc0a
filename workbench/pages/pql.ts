/**
 * PQL console: a monospace editor (Ctrl+Enter runs), the history (app.js keeps it), results as a
 * paged table with the raw JSON, explain as its plan, errors with line:column marked in the
 * statement, and a confirmation step before statements that change or remove data.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { runQuery } from "../../host/wire/ops_query.ts";
import type { WorkbenchParts } from "../../host/server/workbench_hook.ts";
import type { Principal } from "../access.ts";
import { isDestructive } from "../data.ts";
import { toJsonText } from "../ejson.ts";
import { type Html, html } from "../html.ts";
import { PAGE_ROWS } from "../limits.ts";
import { opContext } from "../ops.ts";
import { rawJson, resultTable } from "./result_table.ts";

/** The console screen. */
export function pqlMain(): Html {
  return html`
    <form id="pql-form" hx-post="/pql/run" hx-target="#pql-result" hx-swap="innerHTML">
      <label
        for="pql-text">Statement <span class="muted">(Ctrl+Enter runs; e.g. <code>show stores</code>, <code>orders.filter(amount > 1).orderBy(amount desc)</code>, <code>explain orders.count()</code>)</span></label>
      <textarea id="pql-text" name="statement" rows="5" spellcheck="false" autocomplete="off"></textarea>
      <div class="row"><button type="submit">Run</button></div>
    </form>
    <section aria-label="Result" id="pql-result"></section>
    <h2>History</h2>
    <ul id="pql-history" class="row plain"></ul>
  `;
}

/** `POST /pql/run` (form: statement, page, confirm): the result fragment. */
export async function pqlRun(parts: WorkbenchParts, who: Principal, form: URLSearchParams): Promise<Html> {
  const statement = form.get("statement") ?? "";
  const page = Math.max(0, Number(form.get("page") ?? "0") | 0);
  if (statement.trim() === "") return html`<p class="muted">Type a statement first.</p>`;
  if (isDestructive(statement) && form.get("confirm") !== "yes") {
    return html`
      <div class="confirm" role="alertdialog" aria-label="Confirm">
        <p class="error">This statement changes or removes data. Run it?</p>
        <form hx-post="/pql/run" hx-target="#pql-result"><input type="hidden" name="statement" value="${statement}">
          <input type="hidden" name="confirm" value="yes"><button type="submit" class="danger" id="pql-confirm">Run it</button></form>
      </div>
    `;
  }
  let query;
  try {
    query = parsePql(statement);
  } catch (error) {
    return errorFragment(statement, error);
  }
  const paged = query.op === "find" && page >= 0;
  if (paged && query.op === "find") {
    const skip = (query.skip ?? 0) + page * PAGE_ROWS;
    const remaining = query.limit === undefined
      ? PAGE_ROWS + 1
      : Math.min(PAGE_ROWS + 1, query.limit - page * PAGE_ROWS);
    query = { ...query, skip, limit: Math.max(0, remaining) };
  }
  let result: unknown;
  try {
    result = await runQuery({ ctx: opContext(parts), session: who }, query);
  } catch (error) {
    return errorFragment(statement, error);
  }
  if (query.op === "explain") {
    return html`
      <h2>Plan</h2>
      <pre class="plan" id="pql-plan">${toJsonText(result)}</pre>
    `;
  }
  if (!Array.isArray(result)) {
    return html`
      <h2>Result</h2>
      <pre id="pql-value">${toJsonText(result)}</pre>
    `;
  }
  const more = paged && result.length > PAGE_ROWS;
  const rows = more ? result.slice(0, PAGE_ROWS) : result;
  const pager = (to: number, label: string) =>
    html`<form hx-post="/pql/run" hx-target="#pql-result"><input type="hidden" name="statement" value="${statement}">
    <input type="hidden" name="page" value="${to}"><button type="submit" class="secondary small" data-page="${to}">${label}</button></form>`;
  return html`<h2>Result <span class="muted" id="pql-range">rows ${
    page * PAGE_ROWS + (rows.length === 0 ? 0 : 1)
  }–${page * PAGE_ROWS + rows.length}</span></h2>
  ${resultTable(rows)}<div class="row">${page > 0 ? pager(page - 1, "← Previous") : html``}${
    more ? pager(page + 1, "Next →") : html``
  }</div>
  ${rawJson(rows)}`;
}

function errorFragment(statement: string, error: unknown): Html {
  if (!(error instanceof PlanckError)) throw error;
  const { line, column } = error.location;
  if (line === undefined || column === undefined) {
    return html`<p class="error" role="alert" id="pql-error">${error.code}: ${error.message}</p>`;
  }
  const lines = statement.split("\n");
  const text = [...(lines[line - 1] ?? "")];
  const at = column - 1;
  return html`
    <p class="error" role="alert" id="pql-error">${error.code} at ${line}:${column}: ${error.message}</p>
    <pre class="mono">${text.slice(0, at).join("")}<mark class="at">${text[at] ?? " "}</mark>${text.slice(
      at + 1,
    ).join("")}</pre>
  `;
}
