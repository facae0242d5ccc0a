/**
 * Stores and indexes: the list with counts and sizes; one store's indexes (create, drop, state
 * while backfilling), documents browsed by key pages with a PQL filter, insert; one document as
 * Extended JSON to edit or delete.
 */
import { toJsonText } from "../ejson.ts";
import { formatBytes, type Html, html } from "../html.ts";
import type { DocumentPage, IndexSummary, StoreSummary } from "../data.ts";
import { resultTable } from "./result_table.ts";

const enc = encodeURIComponent;

/** The stores list. */
export function storesMain(stores: StoreSummary[]): Html {
  return html`
    <form class="row" data-action="create-store"><label for="store-name">New store</label>
      <input id="store-name" name="name" required pattern="[A-Za-z_][A-Za-z0-9_]*"><button type="submit">Create store</button></form>
    <div class="scroll">
      <table id="stores">
        <thead>
          <tr>
            <th>Store</th>
            <th class="num">Documents</th>
            <th class="num">Size</th>
            <th class="num">Indexes</th>
          </tr>
        </thead>
        <tbody>${stores.length === 0
          ? html`
            <tr>
              <td colspan="4" class="muted">No stores yet.</td>
            </tr>
          `
          : stores.map((s) =>
            html`
              <tr>
                <td><a href="/stores/${enc(s.name)}">${s.name}</a></td>
                <td class="num">${s.partial ? "≥ " : ""}${s.documents.toLocaleString("en")}</td>
                <td class="num">${formatBytes(s.bytes)}</td>
                <td class="num">${s.indexes}</td>
              </tr>
            `
          )}</tbody>
      </table>
    </div>
  `;
}

type IndexRow = IndexSummary;

/** The state cell: ready, or the backfill's progress (documents indexed of total). */
function stateCell(i: IndexRow): Html {
  if (i.state === "ready") return html`ready`;
  const p = i.progress;
  if (p === undefined) return html`<span class="muted">${i.state}: starting the backfill…</span>`;
  if (p.total === null) return html`<span class="muted">${i.state}: counting documents…</span>`;
  const done = Math.min(p.done, p.total);
  const pct = p.total === 0 ? 100 : Math.floor(done / p.total * 100);
  return html`
    <span class="backfill" data-done="${done}"
      data-total="${p.total}">${i.state}: <progress max="${p.total}" value="${done}">${pct} %</progress>
        ${done.toLocaleString("en")} of ${p.total.toLocaleString("en")} documents indexed (${pct} %)</span>
  `;
}

/** The indexes table (re-fetched every second while one is building). */
export function indexesFragment(store: string, indexes: IndexRow[]): Html {
  const building = indexes.some((i) => i.state !== "ready");
  return html`
    <div id="indexes" ${building
      ? html`
        hx-get="/stores/${enc(store)}/indexes" hx-trigger="every 1s" hx-swap="outerHTML"
      `
      : html``}>
      <table>
        <thead>
          <tr>
            <th>Index</th>
            <th>Fields</th>
            <th>Unique</th>
            <th>State</th>
            <th></th>
          </tr>
        </thead>
        <tbody>${indexes.length === 0
          ? html`
            <tr>
              <td colspan="5" class="muted">No indexes.</td>
            </tr>
          `
          : indexes.map((i) =>
            html`
              <tr>
                <td>${i.name}</td>
                <td class="mono">${i.fields.map((f) => `${f.path} ${f.direction}`).join(", ")}</td>
                <td>${i.unique ? "yes" : "no"}</td>
                <td>${stateCell(i)}</td>
                <td><button type="button" class="danger small" data-action="drop-index" data-store="${store}" data-name="${i
                  .name}">Drop</button></td>
              </tr>
            `
          )}</tbody>
      </table>
    </div>
  `;
}

/** A page of documents with its pager (the htmx fragment). */
export function documentsFragment(store: string, filter: string, page: DocumentPage, first: boolean): Html {
  const next = page.next === null ? html`` : html`
    <button type="button" class="secondary small" id="docs-next"
      hx-get="/stores/${enc(store)}/rows?filter=${enc(filter)}&after=${page.next}" hx-target="#documents"
      hx-swap="innerHTML">Next page →</button>
  `;
  const again = first ? html`` : html`
    <button type="button" class="secondary small"
      hx-get="/stores/${enc(store)}/rows?filter=${enc(filter)}" hx-target="#documents"
      hx-swap="innerHTML">↤ First page</button>
  `;
  return html`${
    resultTable(page.rows, (key) => `/stores/${enc(store)}/documents/${key}`)
  }<div class="row">${again}${next}</div>`;
}

/** The store screen. */
export function storeMain(store: string, indexes: IndexRow[], page: DocumentPage): Html {
  return html`
    <p class="row"><a href="/stores">← All stores</a>
      <button type="button" class="danger small" data-action="drop-store" data-store="${store}">Drop store</button></p>
      <h2>Indexes</h2>${indexesFragment(store, indexes)}
      <form class="row" data-action="create-index"
      data-store="${store}"><label for="index-name">New index</label>
      <input id="index-name" name="name" required placeholder="by_amount" pattern="[A-Za-z_][A-Za-z0-9_]*">
      <label for="index-fields">fields</label><input id="index-fields" name="fields" required placeholder="amount desc, title">
      <label><input type="checkbox" name="unique"> unique</label><button type="submit">Create index</button></form>
      <h2>Documents</h2>
      <form class="row" hx-get="/stores/${enc(store)}/rows" hx-target="#documents" hx-swap="innerHTML">
      <label for="doc-filter">Filter</label><input id="doc-filter" name="filter" class="mono" placeholder='amount > 10 and status = "paid"' size="40">
      <button type="submit">Apply</button></form>
      <div id="documents">${documentsFragment(store, "", page, true)}</div>
      <h2>Insert a document</h2>
      <p
      class="muted">Extended JSON keeps BSON types: <code>{"$date": "2026-01-01T00:00:00Z"}</code>, <code>{"$numberLong": "42"}</code>.</p>
      <textarea id="doc-text" rows="6" spellcheck="false">${"{\n  \n}"}</textarea>
      <p><button type="button" data-action="insert-doc" data-store="${store}">Insert</button></p>
  `;
}

/** One document to edit. */
export function documentMain(store: string, key: string, doc: Record<string, unknown>): Html {
  const { key: _key, ...fields } = doc;
  return html`
    <p><a href="/stores/${enc(store)}">← ${store}</a></p>
    <p>Key <code id="doc-key">${key}</code></p>
    <label for="doc-text">Document (Extended JSON; the key is not part of it)</label>
    <textarea id="doc-text" rows="18" spellcheck="false">${toJsonText(fields)}</textarea>
    <div
      class="row"><button type="button" data-action="save-doc" data-store="${store}" data-key="${key}">Save</button>
      <button type="button" class="danger" data-action="delete-doc" data-store="${store}" data-key="${key}">Delete</button></div>
  `;
}
