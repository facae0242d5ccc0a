/**
 * Live view: pick a store (and optionally a PQL filter), watch its changes arrive over SSE
 * (`/api/watch`, workbench/live.ts); app.js adds each event at the top of the table and keeps the
 * newest LIVE_ROWS_SHOWN.
 */
import { type Html, html } from "../html.ts";
import { LIVE_ROWS_SHOWN } from "../limits.ts";

/** The live-view screen. */
export function liveMain(stores: string[], store: string, filter: string): Html {
  return html`
    <form class="row" data-action="watch" id="watch-form">
      <label for="watch-store">Store</label>
      <select id="watch-store" name="store" required>${stores.length === 0
        ? html`<option value="">no stores yet</option>`
        : stores.map((s) =>
          html`<option${
            s === store
              ? html`
                selected
              `
              : html``
          }>${s}</option>`
        )}</select>
      <label for="watch-filter">Filter</label>
      <input id="watch-filter" name="filter" class="mono" size="34" value="${filter}"
        placeholder='status = "paid" (empty: every change)'>
      <label><input type="checkbox" name="snapshot" value="1"> current documents first</label>
      <button type="submit" id="watch-start">Watch</button>
      <button type="button" class="secondary" data-action="unwatch" id="watch-stop" disabled>Stop</button>
    </form>
    <p id="watch-state" class="muted" role="status"
      aria-live="polite">Not watching. Choose a store and press Watch: every insert, update and delete
      committed from then on appears here as it happens (with a filter: documents entering, changing in and leaving it).</p>
    <div class="scroll">
      <table id="live-events" data-max-rows="${LIVE_ROWS_SHOWN}">
        <thead>
          <tr>
            <th class="num">LSN</th>
            <th>Op</th>
            <th>Key</th>
            <th>Document</th>
          </tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
  `;
}
