/** A result as a table (one column per top-level field, documents as Extended JSON) plus its raw JSON. */
import { toJsonText, toJsonValue } from "../ejson.ts";
import { type Html, html } from "../html.ts";

/** Rows as a table; `link` makes the key column a link to the document. */
export function resultTable(rows: unknown[], link?: (key: string) => string): Html {
  if (rows.length === 0) return html`<p class="muted">No rows.</p>`;
  const plain = rows.map((r) => toJsonValue(r) as Record<string, unknown>);
  const columns: string[] = [];
  for (const row of plain) {
    for (const name of Object.keys(row ?? {})) {
      if (!columns.includes(name) && columns.length < 24) columns.push(name);
    }
  }
  columns.sort((a, b) => a === "key" ? -1 : b === "key" ? 1 : 0);
  const cell = (v: unknown) => v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return html`
    <div class="scroll">
      <table class="result">
        <thead>
          <tr>${columns.map((c) => html`<th>${c}</th>`)}</tr>
        </thead>
        <tbody>${plain.map((row) =>
          html`<tr>${
            columns.map((c) =>
              c === "key" && link !== undefined && typeof row.key === "string"
                ? html`<td class="mono"><a href="${link(row.key)}">${row.key}</a></td>`
                : html`<td class="mono">${cell(row[c])}</td>`
            )
          }</tr>`
        )}</tbody>
      </table>
    </div>
  `;
}

/** A value as indented JSON in a pre. */
export function rawJson(value: unknown): Html {
  return html`
    <details>
      <summary>Raw JSON</summary>
      <pre class="raw">${toJsonText(value)}</pre>
    </details>
  `;
}
