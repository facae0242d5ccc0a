/** Services: deployed services with versions, routes and per-route metrics; deploy by upload; undeploy; log. */
import type { Principal } from "../access.ts";
import { type Html, html } from "../html.ts";

interface RouteMetrics {
  route: string;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  faults: Record<string, number>;
}

/** The services screen. */
export function servicesMain(list: Record<string, unknown>[], who: Principal): Html {
  const admin = who.user.role === "admin";
  const rows = list.map((s) => {
    const metrics = s.metrics as RouteMetrics[];
    const routes = s.routes as { method: string; path: string }[];
    return html`
      <section class="service" data-service="${s.name}">
        <h2>${s.name} <span class="muted">${s.version} · ${s.tier}</span></h2>
        <div class="row"><a href="/logs?source=${encodeURIComponent(`service:${s.name}`)}">Service log</a>
          <button type="button" class="danger small" data-action="undeploy" data-name="${s
            .name}">Undeploy</button></div>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Method</th>
                <th>Route</th>
                <th class="num">Requests</th>
                <th class="num">Errors</th>
                <th class="num">p50 ms</th>
                <th class="num">p99 ms</th>
                <th class="num">Kills</th>
              </tr>
            </thead>
            <tbody>${routes.map((r) => {
              const m = metrics.find((x) => x.route === `${r.method} ${r.path}`);
              const kills = m === undefined ? 0 : Object.values(m.faults).reduce((a, b) => a + b, 0);
              return html`
                <tr>
                  <td>${r.method}</td>
                  <td class="mono">${r.path}</td>
                  <td class="num">${m?.count ?? 0}</td>
                  <td class="num">${m?.errors ?? 0}</td>
                  <td class="num">${m?.p50Ms ?? 0}</td>
                  <td class="num">${m?.p99Ms ?? 0}</td>
                  <td class="num">${kills}</td>
                </tr>
              `;
            })}</tbody>
          </table>
        </div>
      </section>
    `;
  });
  return html`<form class="drop" data-action="deploy" id="deploy-form">
    <p><strong>Deploy a service</strong>: drop a <code>.wasm</code> built by <code>planck build</code> here, or choose it.</p>
    <p class="row center"><input type="file" name="wasm" accept=".wasm,application/wasm" aria-label="Service .wasm file">
    <span class="chosen muted"></span><button type="submit">Deploy</button></p>
    ${
    admin
      ? html``
      : html`<p class="muted">Your role "${who.user.role}" may not deploy: the server will refuse it.</p>`
  }
  </form>
  ${list.length === 0 ? html`<p class="muted" id="no-services">No service is deployed.</p>` : rows}`;
}
