/** Logs: the newest entries of the server's log ring, filtered by level, source and text; tails by polling every 2 s. */
import type { LogEntry } from "../../host/log_ring.ts";
import { LOG_LEVELS } from "../../host/log_ring.ts";
import { type Html, html } from "../html.ts";

/** The table body (the polled fragment). */
export function logRows(entries: LogEntry[]): Html {
  if (entries.length === 0) {
    return html`
      <tr>
        <td colspan="4" class="muted">No entries match.</td>
      </tr>
    `;
  }
  return html`${
    entries.slice().reverse().map((e) =>
      html`
        <tr class="log-${e.level}">
          <td class="mono">${e.time.toISOString()}</td>
          <td>${e.level}</td>
          <td>${e.source}</td>
          <td class="mono">${e.message}</td>
        </tr>
      `
    )
  }`;
}

/** The logs screen. */
export function logsMain(query: { level: string; q: string; source: string }, entries: LogEntry[]): Html {
  const qs = new URLSearchParams(query).toString();
  return html`
    <form class="row" method="get" action="/logs"><label for="level">Level</label>
      <select id="level" name="level">${["", ...LOG_LEVELS].map((l) =>
        html`
          <option value="${l}" ${l === query.level
            ? html`
              selected
            `
            : html``}>${l === "" ? "all" : `${l} and above`}</option>
        `
      )}</select><label for="q">Search</label><input id="q" name="q" value="${query.q}" type="search">
      <input type="hidden" name="source" value="${query.source}"><button type="submit">Filter</button>
      ${query.source === ""
        ? html``
        : html`<span class="muted">only ${query.source} · <a href="/logs">all sources</a></span>`}</form>
    <div class="scroll">
      <table id="log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Level</th>
            <th>Source</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody hx-get="/logs/rows?${qs}" hx-trigger="every 2s" hx-swap="innerHTML">${logRows(entries)}</tbody>
      </table>
    </div>
  `;
}
