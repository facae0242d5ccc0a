// Planck workbench client, operations screens: schedules (edit, add, run now, enable/disable,
// remove), backups (take, verify, restore) and the live view (an EventSource on /api/watch).
// Uses the `api` and `flash` helpers of app.js (loaded first). No inline scripts (CSP).
"use strict";
const enc = encodeURIComponent;
const done = (text) => {
  flash(text, "ok");
  setTimeout(() => location.reload(), 600);
};
document.addEventListener("click", async (e) => {
  const el = e.target.closest("[data-action]");
  if (el === null || el.tagName === "FORM") return;
  const d = el.dataset;
  try {
    if (d.action === "run-schedule") {
      el.disabled = true;
      flash(`Running "${d.name}"…`, "ok");
      const r = await api("POST", `/api/schedules/${enc(d.name)}/run`);
      if (r.result === "ok") done(`"${d.name}" ran: ${r.result}`);
      else {
        flash(`"${d.name}" ${r.result}: ${r.error ?? ""}`, "error");
        setTimeout(() => location.reload(), 1500);
      }
    } else if (d.action === "enable-schedule" || d.action === "disable-schedule") {
      const verb = d.action === "enable-schedule" ? "enable" : "disable";
      await api("POST", `/api/schedules/${enc(d.name)}/${verb}`);
      done(`"${d.name}" ${verb}d`);
    } else if (d.action === "remove-schedule") {
      if (!confirm(`Remove schedule "${d.name}"? Its history stays.`)) return;
      await api("DELETE", `/api/schedules/${enc(d.name)}`);
      done(`Removed "${d.name}"`);
    } else if (d.action === "create-backup") {
      el.disabled = true;
      flash("Taking an online backup…", "ok");
      const r = await api("POST", "/api/backups", {});
      done(`Backup ${r.name} taken at LSN ${r.lsn} (${r.bytes} bytes)`);
    } else if (d.action === "verify-backup") {
      el.disabled = true;
      flash(`Verifying ${d.name}…`, "ok");
      const r = await api("POST", `/api/backups/${enc(d.name)}/verify`);
      if (r.ok) done(`${d.name} verified: ${r.message}`);
      else {
        flash(`${d.name} FAILED verification: ${r.message}`, "error");
        setTimeout(() => location.reload(), 2500);
      }
    } else if (d.action === "unwatch") {
      stopWatch("Stopped.");
    }
  } catch (err) {
    el.disabled = false;
    flash(err.message, "error");
  }
});
document.addEventListener("submit", async (e) => {
  const form = e.target;
  const kind = form.dataset.action;
  if (!["edit-schedule", "add-schedule", "restore-backup", "watch"].includes(kind)) return;
  e.preventDefault();
  const f = Object.fromEntries(new FormData(form));
  try {
    if (kind === "edit-schedule") {
      const r = await api("PUT", `/api/schedules/${enc(form.dataset.name)}`, {
        cron: f.cron,
        timezone: f.timezone,
      });
      done(`"${r.name}" now runs at "${r.cron}" (${r.timezone})`);
    } else if (kind === "add-schedule") {
      let options;
      try {
        options = JSON.parse(f.options || "{}");
      } catch (err) {
        throw new Error(`Options are not valid JSON: ${err.message}`);
      }
      const r = await api("POST", "/api/schedules", {
        name: f.name,
        task: f.task,
        cron: f.cron,
        timezone: f.timezone || "UTC",
        enabled: f.enabled === "on",
        options,
      });
      done(`Added "${r.name}"`);
    } else if (kind === "restore-backup") {
      flash(`Restoring ${form.dataset.name} into ${f.target}…`, "ok");
      const r = await api("POST", `/api/backups/${enc(form.dataset.name)}/restore`, { target: f.target });
      flash(
        `Restored ${r.name} into ${r.target} (LSN ${r.lsn}, ${r.files} files). Start it with: planck start --data ${r.target}`,
        "ok",
      );
    } else if (kind === "watch") {
      await startWatch(f);
    }
  } catch (err) {
    flash(err.message, "error");
  }
});
// Live view: one EventSource at a time; the newest rows on top, at most data-max-rows kept.
let source = null;
function setState(text, watching) {
  const state = document.getElementById("watch-state");
  if (state) state.textContent = text;
  const stop = document.getElementById("watch-stop");
  if (stop) stop.disabled = !watching;
}
function stopWatch(text) {
  if (source !== null) source.close();
  source = null;
  setState(text, false);
}
async function startWatch(f) {
  stopWatch("Connecting…");
  if (!f.store) throw new Error("Create a store first (Stores screen)");
  const q = new URLSearchParams({ store: f.store });
  if (f.filter) q.set("filter", f.filter);
  if (f.snapshot) q.set("snapshot", "1");
  const check = await fetch(`/api/watch/check?${q}`).then((r) => r.json());
  if (!check.ok) {
    const at = check.line === undefined ? "" : ` (at line ${check.line}, column ${check.column})`;
    stopWatch("Not watching.");
    throw new Error(`${check.message}${at}`);
  }
  history.replaceState(null, "", `/live?${new URLSearchParams({ store: f.store, filter: f.filter ?? "" })}`);
  const body = document.querySelector("#live-events tbody");
  body.replaceChildren();
  let count = 0;
  const es = new EventSource(`/api/watch?${q}`);
  source = es;
  es.addEventListener("ready", (m) => {
    const r = JSON.parse(m.data);
    setState(
      `Watching "${r.store}"${r.filter ? ` where ${r.filter}` : ""} from LSN ${r.lsn}: waiting for changes…`,
      true,
    );
  });
  es.addEventListener("change", (m) => {
    const ev = JSON.parse(m.data);
    count++;
    setState(
      `Watching "${f.store}"${f.filter ? ` where ${f.filter}` : ""}: ${count} change${
        count === 1 ? "" : "s"
      } so far.`,
      true,
    );
    const tr = document.createElement("tr");
    tr.className = "fresh";
    const cell = (text, cls) => {
      const td = document.createElement("td");
      if (cls) td.className = cls;
      td.textContent = text;
      tr.append(td);
      return td;
    };
    cell(String(ev.lsn), "num");
    cell(ev.op, `op-${ev.op}`);
    const keyCell = cell("", "mono");
    if (ev.op !== "delete" && ev.op !== "leave") {
      const a = document.createElement("a");
      a.href = `/stores/${enc(f.store)}/documents/${ev.key}`;
      a.textContent = ev.key;
      keyCell.append(a);
    } else keyCell.textContent = ev.key;
    cell(
      ev.doc !== undefined ? JSON.stringify(ev.doc) : ev.docText !== undefined ? `${ev.docText}…` : "",
      "doc mono",
    );
    body.prepend(tr);
    const max = Number(document.getElementById("live-events").dataset.maxRows);
    while (body.rows.length > max) body.deleteRow(body.rows.length - 1);
  });
  es.addEventListener("end", (m) => {
    const r = JSON.parse(m.data);
    stopWatch(`Stream ended (${r.reason}${r.message ? `: ${r.message}` : ""}). Press Watch to start again.`);
  });
  es.addEventListener("error", () => {
    if (source !== es) return;
    // A refused start (bad filter, no access) or a lost connection: EventSource gives no body.
    stopWatch(
      "The stream could not start or was lost (check the filter, your role, or that the server runs). Press Watch to try again.",
    );
    fetch(`/api/watch/check?${q}`).then((r) => r.json()).then((r) => {
      if (r.message) flash(r.message, "error");
    }).catch(() => {});
  });
}
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("watch-form");
  if (form && new URLSearchParams(location.search).has("store") && form.store.value) {
    startWatch(Object.fromEntries(new FormData(form))).catch((err) => flash(err.message, "error"));
  }
});
