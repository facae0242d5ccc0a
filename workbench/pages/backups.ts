/**
 * Backups: the backup files of the backup directories, newest first, with size, time, LSN and the
 * last verification; take an online backup now; verify, restore into a new directory, download.
 */
import type { BackupRow } from "../backups.ts";
import { formatBytes, type Html, html } from "../html.ts";

/** The Backups screen. */
export function backupsMain(rows: BackupRow[], dirs: string[], dataDir: string): Html {
  return html`
    <p class="row"><button type="button" data-action="create-backup" id="create-backup">Back up now</button>
      <span class="muted">An online backup: a consistent copy as of one LSN while writes go on, written to <code>${dirs[
        0
      ]}</code> as one <code>.tar</code>.
      The schedule <a href="/schedules">nightly-backup</a> takes one every night.</span></p>
    <div class="scroll">
      <table id="backups">
        <thead>
          <tr>
            <th>Backup</th>
            <th>Taken (UTC)</th>
            <th class="num">LSN</th>
            <th class="num">Size</th>
            <th>Verified</th>
            <th></th>
          </tr>
        </thead>
        <tbody>${rows.length === 0
          ? html`
            <tr>
              <td colspan="6" class="muted" id="no-backups">No backups yet in ${dirs.join(", ")}.</td>
            </tr>
          `
          : rows.map((b) =>
            html`
              <tr data-backup="${b.name}">
                <td class="mono">${b.name}<div class="muted small-text">${b.dir}</div></td>
                <td class="mono">${b.takenAt}</td>
                <td class="num">${b.lsn}</td>
                <td class="num">${formatBytes(b.bytes)}</td>
                <td class="verify-cell">${b.verified === undefined
                  ? html`<span class="muted">not yet</span>`
                  : html`
                    <span class="${b.verified.ok ? "ok" : "error"}">${b.verified.ok ? "ok" : "FAILED"}</span>
                    <div class="muted small-text">${b.verified.at}: ${b.verified.message}</div>
                  `}</td>
                <td class="actions">
                  <button type="button" class="small" data-action="verify-backup" data-name="${b
                    .name}">Verify</button>
                  <a class="button small secondary" href="/api/backups/${encodeURIComponent(
                    b.name,
                  )}/download" download>Download</a>
                  <form class="row inline" data-action="restore-backup" data-name="${b.name}">
                    <input name="target" required size="22" aria-label="restore into directory" placeholder="${dataDir}-restored">
                    <button type="submit" class="small secondary">Restore</button></form>
                </td>
              </tr>
            `
          )}</tbody>
      </table>
    </div>
    <p class="muted">Restore writes a new data directory (missing or empty, outside this server's) and checks it
      against the backup's manifest; start a server on it with <code>planck start --data DIR</code>.
      From another machine: <code>planck backup --remote URL --to FILE.tar</code>.</p>
  `;
}
