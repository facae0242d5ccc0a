// Planck workbench client: CSRF header on every state-changing request, actions through the JSON
// API (/api/…), drag-and-drop deploys, PQL history and Ctrl+Enter. No inline scripts (the CSP forbids them).
"use strict";
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const flash = (text, kind) => {
  const box = document.getElementById("flash");
  box.replaceChildren();
  const p = document.createElement("p");
  p.className = kind;
  p.textContent = text;
  box.append(p);
};
async function api(method, url, body, type) {
  const headers = { "x-csrf-token": csrf() };
  if (body !== undefined) headers["content-type"] = type ?? "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : type ? body : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message ?? `HTTP ${response.status}`);
  return data;
}
const reloadSoon = () => setTimeout(() => location.reload(), 400);
document.addEventListener("htmx:configRequest", (e) => {
  e.detail.headers["x-csrf-token"] = csrf();
});
document.addEventListener("htmx:responseError", (e) => {
  let message = `HTTP ${e.detail.xhr.status}`;
  try {
    message = JSON.parse(e.detail.xhr.responseText).message ?? message;
  } catch { /* not JSON */ }
  flash(message, "error");
});
document.addEventListener("click", async (e) => {
  const el = e.target.closest("[data-action]");
  if (el === null || el.tagName === "FORM") return;
  const d = el.dataset;
  try {
    if (d.action === "logout") {
      await fetch("/logout", { method: "POST", headers: { "x-csrf-token": csrf() } });
      location.href = "/login";
    } else if (d.action === "rotate-self" || d.action === "rotate") {
      if (!confirm(`Rotate the key of "${d.user}"? The old key stops working at once.`)) return;
      const r = await api("POST", `/api/users/${encodeURIComponent(d.user)}/key`);
      flash(`New key of "${r.user}" (shown once, copy it now): ${r.key}`, "ok");
    } else if (d.action === "undeploy") {
      if (!confirm(`Undeploy service "${d.name}"?`)) return;
      await api("DELETE", `/api/services/${encodeURIComponent(d.name)}`);
      flash(`Undeployed "${d.name}"`, "ok");
      reloadSoon();
    } else if (d.action === "drop-user") {
      if (!confirm(`Drop user "${d.user}"?`)) return;
      await api("DELETE", `/api/users/${encodeURIComponent(d.user)}`);
      reloadSoon();
    } else if (d.action === "drop-index") {
      if (!confirm(`Drop index "${d.name}"?`)) return;
      await api("DELETE", `/api/stores/${encodeURIComponent(d.store)}/indexes/${encodeURIComponent(d.name)}`);
      reloadSoon();
    } else if (d.action === "drop-store") {
      if (!confirm(`Drop store "${d.store}" and all its documents?`)) return;
      await api("DELETE", `/api/stores/${encodeURIComponent(d.store)}`);
      location.href = "/stores";
    } else if (d.action === "delete-doc") {
      if (!confirm(`Delete document ${d.key}?`)) return;
      await api("DELETE", `/api/stores/${encodeURIComponent(d.store)}/documents/${d.key}`);
      location.href = `/stores/${encodeURIComponent(d.store)}`;
    } else if (d.action === "save-doc" || d.action === "insert-doc") {
      const text = document.getElementById("doc-text").value;
      let doc;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw new Error(`Invalid JSON: ${err.message}`);
      }
      const base = `/api/stores/${encodeURIComponent(d.store)}/documents`;
      const r = d.action === "save-doc"
        ? await api("PUT", `${base}/${d.key}`, doc)
        : await api("POST", base, doc);
      flash(d.action === "save-doc" ? "Saved" : `Inserted ${r.key}`, "ok");
      if (d.action === "insert-doc") {
        location.href = `/stores/${encodeURIComponent(d.store)}/documents/${r.key}`;
      }
    } else if (d.action === "set-role") {
      const role = document.getElementById(`role-${d.user}`).value;
      await api("PUT", `/api/users/${encodeURIComponent(d.user)}/role`, { role });
      flash(`"${d.user}" is now ${role}`, "ok");
    }
  } catch (err) {
    flash(err.message, "error");
  }
});
document.addEventListener("submit", async (e) => {
  const form = e.target;
  const kind = form.dataset.action;
  if (kind === undefined) return;
  e.preventDefault();
  const f = Object.fromEntries(new FormData(form));
  try {
    if (kind === "deploy") {
      const file = form.querySelector('input[type="file"]').files[0];
      if (file === undefined) throw new Error("Choose a .wasm file first");
      const r = await api("POST", "/api/services", await file.arrayBuffer(), "application/wasm");
      flash(`Deployed "${r.name}" ${r.version} with ${r.routes.length} routes`, "ok");
      reloadSoon();
    } else if (kind === "create-store") {
      await api("POST", "/api/stores", { name: f.name });
      location.href = `/stores/${encodeURIComponent(f.name)}`;
    } else if (kind === "create-index") {
      const fields = String(f.fields).split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
        const [path, dir] = s.split(/\s+/);
        return { path, direction: dir === "desc" ? "desc" : "asc" };
      });
      const r = await api("POST", `/api/stores/${encodeURIComponent(form.dataset.store)}/indexes`, {
        name: f.name,
        fields,
        unique: f.unique === "on",
        wait: false,
      });
      flash(
        r.state === "building" ? `Index "${f.name}" created: backfilling` : `Index "${f.name}" created`,
        "ok",
      );
      const box = document.getElementById("indexes");
      if (box) {
        htmx.ajax("GET", `/stores/${encodeURIComponent(form.dataset.store)}/indexes`, {
          target: box,
          swap: "outerHTML",
        });
      }
    } else if (kind === "create-user") {
      const r = await api("POST", "/api/users", { user: f.user, role: f.role });
      flash(`Created "${r.user}" (${r.role}). Its key is shown once, copy it now: ${r.key}`, "ok");
    }
  } catch (err) {
    flash(err.message, "error");
  }
});
// Deploy by drag and drop: a dropped file goes into the form's file input.
document.addEventListener("dragover", (e) => {
  const z = e.target.closest?.(".drop");
  if (z) {
    e.preventDefault();
    z.classList.add("over");
  }
});
document.addEventListener("dragleave", (e) => e.target.closest?.(".drop")?.classList.remove("over"));
document.addEventListener("drop", (e) => {
  const zone = e.target.closest?.(".drop");
  if (!zone) return;
  e.preventDefault();
  zone.classList.remove("over");
  const input = zone.querySelector('input[type="file"]');
  input.files = e.dataTransfer.files;
  zone.querySelector(".chosen").textContent = input.files[0]?.name ?? "";
});
document.addEventListener("change", (e) => {
  if (e.target.matches('.drop input[type="file"]')) {
    e.target.closest(".drop").querySelector(".chosen").textContent = e.target.files[0]?.name ?? "";
  }
});
// PQL console: Ctrl+Enter (or Cmd+Enter) runs; the last 50 statements are kept in localStorage.
const HISTORY = "planck.pql.history";
document.addEventListener("keydown", (e) => {
  if (e.target.id === "pql-text" && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    htmx.trigger(e.target.form, "submit");
  }
});
document.addEventListener("htmx:beforeRequest", (e) => {
  const text = document.getElementById("pql-text");
  if (text === null || e.detail.elt !== text.form || text.value.trim() === "") return;
  const list = JSON.parse(localStorage.getItem(HISTORY) ?? "[]").filter((s) => s !== text.value);
  list.unshift(text.value);
  localStorage.setItem(HISTORY, JSON.stringify(list.slice(0, 50)));
  renderHistory();
});
function renderHistory() {
  const box = document.getElementById("pql-history");
  if (box === null) return;
  box.replaceChildren();
  for (const s of JSON.parse(localStorage.getItem(HISTORY) ?? "[]")) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small mono";
    b.textContent = s.length > 60 ? s.slice(0, 60) + "…" : s;
    b.addEventListener("click", () => {
      document.getElementById("pql-text").value = s;
    });
    const li = document.createElement("li");
    li.append(b);
    box.append(li);
  }
}
document.addEventListener("DOMContentLoaded", renderHistory);
