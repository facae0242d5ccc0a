/**
 * Replication: this server's role and epoch; on a primary, the replicas it serves with their
 * applied LSN and lag; on a replica, its primary, connection and lag (host/replication/).
 */
import { formatBytes, formatDuration, type Html, html } from "../html.ts";
import type { ReplicationView } from "../replication.ts";

/** The replicas block (also on the overview). */
export function replicasBlock(view: ReplicationView): Html {
  if (view.replica !== undefined) {
    const r = view.replica;
    return html`
      <table id="replication-primary">
        <tbody>
          <tr><th>Primary</th><td class="mono">${r.primary}</td></tr>
          <tr><th>Connected</th><td>${r.connected ? "yes" : html`<span class="error">no</span>`}</td></tr>
          <tr><th>Applied LSN / primary's</th><td class="mono">${r.appliedLsn} / ${r.primaryLsn}</td></tr>
          <tr><th>Lag</th><td><strong>${r.lagLsn} LSN · ${r.lagMs} ms</strong></td></tr>
          <tr><th>Groups applied · bytes received</th><td>${r.groupsApplied} · ${formatBytes(
            r.bytesReceived,
          )}</td></tr>
          <tr><th>Last contact</th><td>${r.lastContactMs === null
            ? "never"
            : `${formatDuration(Math.max(0, Date.now() - r.lastContactMs))} ago`}</td></tr>
          ${r.error === null ? html`` : html`
            <tr>
              <th>Error</th>
              <td class="error">${r.error}</td>
            </tr>
          `}
        </tbody>
      </table>
    `;
  }
  const replicas = view.replicas ?? [];
  return html`
    <table id="replicas">
      <thead>
        <tr>
          <th>Replica</th>
          <th>User · address</th>
          <th class="num">Applied LSN</th>
          <th class="num">Lag (LSN)</th>
          <th class="num">Lag (ms)</th>
          <th>Last request</th>
        </tr>
      </thead>
      <tbody>${replicas.length === 0
        ? html`
          <tr>
            <td colspan="6" class="muted" id="no-replicas">No replica has connected. Start one with
                  <code>planck start --data DIR2 --replica-of CONN</code> (a user with the replication role; docs/replication.md).</td>
          </tr>
        `
        : replicas.map((r) =>
          html`
            <tr>
              <td class="mono">${r.name}</td>
              <td>${r.user} · ${r.remote}</td>
              <td class="num">${r.appliedLsn}</td>
              <td class="num">${r.lagLsn}</td>
              <td class="num">${r.lagMs}</td>
              <td>${formatDuration(Math.max(0, Date.now() - r.lastRequestMs))} ago</td>
            </tr>
          `
        )}</tbody>
    </table>
  `;
}

/** The Replication screen. */
export function replicationMain(view: ReplicationView): Html {
  return html`
    <p id="replication-role">This server is <strong>${view.role === "primary"
      ? "the primary"
      : view.role === "replica"
      ? "a replica"
      : "fenced"}</strong>
      (epoch ${view.epoch}, last LSN ${view.lsn}${view.fencedBy === undefined
        ? ""
        : `, fenced by epoch ${view.fencedBy}`}).
      ${view.role === "replica" ? "It serves reads; writes answer not_leader." : ""}</p>
    <div hx-get="/replication/block" hx-trigger="every 2s" hx-swap="innerHTML"
      id="replication-live">${replicasBlock(view)}</div>
  `;
}
