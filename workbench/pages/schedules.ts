/**
 * Schedules: every schedule with its task, cron expression (edited in place, with a live preview
 * of the next runs), time zone, state and next runs; run now, enable/disable, remove; a form to
 * add one; the run history (start, duration, trigger, result, bytes, error).
 */
import type { RunRecord } from "../../host/schedule/schedules.ts";
import { formatBytes, formatDuration, type Html, html } from "../html.ts";
import type { ScheduleRow } from "../schedules.ts";
import { cronPreview, TASKS } from "../schedules.ts";

const when = (ms: number | null) => ms === null ? "–" : new Date(ms).toISOString().replace(".000Z", "Z");

const short = (iso: string) => iso.replace(".000Z", "Z");

/** The preview fragment of a cron expression: its next runs, or why it is invalid. */
export function previewFragment(next: string[] | Error): Html {
  if (next instanceof Error) return html`<p class="error cron-preview" role="alert">${next.message}</p>`;
  return html`<div class="cron-preview"><span class="muted">Next runs (UTC):</span><ol class="plain">${
    next.map((t) => html`<li class="mono">${short(t)}</li>`)
  }</ol></div>`;
}

function cronEditor(prefix: string, cron: string, timezone: string): Html {
  return html`
    <span
      class="row cron-edit"><input name="cron" class="mono" value="${cron}" required size="14" aria-label="cron expression"
      hx-get="/schedules/preview" hx-trigger="input changed delay:300ms" hx-include="closest form"
      hx-target="next .cron-box" hx-swap="innerHTML" id="${prefix}-cron">
    <input name="timezone" value="${timezone}" size="10" aria-label="time zone" id="${prefix}-tz"
      hx-get="/schedules/preview" hx-trigger="input changed delay:300ms" hx-include="closest form"
      hx-target="next .cron-box" hx-swap="innerHTML"></span>
  `;
}

/** The Schedules screen. */
export function schedulesMain(schedules: ScheduleRow[], runs: RunRecord[], only: string): Html {
  return html`
    <p class="muted">Cron fields: minute hour day-of-month month day-of-week (an optional leading seconds field);
      e.g. <code>0 3 * * *</code> is 03:00 every day, <code>*/15 * * * *</code> every 15 minutes. Tasks: ${TASKS
        .join(", ")}.</p>
    <div class="scroll">
      <table id="schedules">
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Task</th>
            <th>Cron and time zone</th>
            <th>Next runs</th>
            <th>State</th>
            <th></th>
          </tr>
        </thead>
        <tbody>${schedules.length === 0
          ? html`
            <tr>
              <td colspan="6" class="muted">No schedules: add one below.</td>
            </tr>
          `
          : schedules.map((s, i) =>
            html`
              <tr data-schedule="${s.name}">
                <td><a href="/schedules?name=${encodeURIComponent(s.name)}#history">${s
                  .name}</a>${s.scope === "instance" ? "" : html`
                  <span class="muted">${s.scope}</span>
                `}</td>
                <td>${s.task}${Object.keys(s.options).length === 0
                  ? ""
                  : html`<div class="muted mono small-text">${JSON.stringify(s.options)}</div>`}</td>
                <td>
                  <form class="row" data-action="edit-schedule"
                    data-name="${s.name}">${cronEditor(
                      `s${i}`,
                      s.cron,
                      s.timezone,
                    )}<button type="submit" class="small">Save</button><div class="cron-box"></div></form>
                </td>
                <td>${s.next.length === 0
                  ? html`<span class="muted">–</span>`
                  : html`<ol class="plain">${
                    s.next.map((t) => html`<li class="mono">${short(t)}</li>`)
                  }</ol>`}</td>
                <td>${s.running
                  ? html`<strong>running</strong>`
                  : s.enabled
                  ? "enabled"
                  : html`<span class="muted">disabled</span>`}</td>
                <td class="actions">
                  <button type="button" class="small" data-action="run-schedule" data-name="${s
                    .name}">Run now</button>
                  <button type="button" class="small secondary" data-action="${s.enabled
                    ? "disable-schedule"
                    : "enable-schedule"}"
                    data-name="${s.name}">${s.enabled ? "Disable" : "Enable"}</button>
                  <button type="button" class="small danger" data-action="remove-schedule"
                    data-name="${s.name}">Remove</button>
                </td>
              </tr>
            `
          )}</tbody>
      </table>
    </div>
    <h2>Add a schedule</h2>
    <form data-action="add-schedule" class="stack" id="add-schedule">
      <div
        class="row"><label for="new-name">Name</label><input id="new-name" name="name" required pattern="[A-Za-z0-9_.\\-]{1,64}" placeholder="hourly-stats">
        <label for="new-task">Task</label><select id="new-task" name="task">${TASKS.map((t) =>
          html`<option>${t}</option>`
        )}</select>
        <label><input type="checkbox" name="enabled" checked> enabled</label></div>
      <div class="row"><label for="new-cron">Cron</label>${cronEditor("new", "0 * * * *", "UTC")}</div>
      <div class="cron-box">${previewFragment(cronPreview("0 * * * *"))}</div>
      <label
        for="new-options">Options (JSON; e.g. <code>{"retain": 3}</code> for backup, <code>{"store": "orders", "path": "/tmp/orders-{time}.jsonl"}</code> for export)</label>
      <textarea id="new-options" name="options" rows="3" class="mono" spellcheck="false">{}</textarea>
      <p><button type="submit">Add schedule</button></p>
    </form>
    <h2 id="history">History${only === "" ? "" : html`
      of ${only} · <a href="/schedules#history">all</a>
    `}</h2>
    ${historyTable(runs)}
  `;
}

/** The run history table. */
export function historyTable(runs: RunRecord[]): Html {
  return html`
    <div class="scroll">
      <table id="runs">
        <thead>
          <tr>
            <th>Started</th>
            <th>Schedule</th>
            <th>Task</th>
            <th>Trigger</th>
            <th class="num">Took</th>
            <th>Result</th>
            <th class="num">Bytes</th>
            <th>Error or details</th>
          </tr>
        </thead>
        <tbody>${runs.length === 0
          ? html`
            <tr>
              <td colspan="8" class="muted">No runs yet.</td>
            </tr>
          `
          : runs.map((r) =>
            html`
              <tr>
                <td class="mono">${when(r.start)}</td>
                <td>${r.schedule}</td>
                <td>${r.task}</td>
                <td>${r.trigger}</td>
                <td class="num">${r.end === null
                  ? "…"
                  : formatDuration(r.end - r.start).replace(/^0 s$/, "< 1 s")}</td>
                <td><span class="result-${r.result}">${r.result}</span></td>
                <td class="num">${formatBytes(r.bytes)}</td>
                <td class="mono small-text">${r.error ??
                  (Object.keys(r.details).length === 0 ? "" : JSON.stringify(r.details).slice(0, 300))}</td>
              </tr>
            `
          )}</tbody>
      </table>
    </div>
  `;
}
