/** Settings: the effective config, each key with its default and where its value came from. */
import { type Html, html } from "../html.ts";

/** The settings screen. */
export function settingsMain(
  rows: { key: string; value: unknown; default: unknown; source: string }[],
): Html {
  const show = (v: unknown) => v === null ? "null" : String(v);
  return html`
    <p
      class="muted">Change these in the config file (<code>planck start --config FILE</code>) or with flags; see docs/configuration.md.</p>
    <div class="scroll">
      <table id="settings">
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>Default</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>${rows.map((r) =>
          html`
            <tr>
              <td class="mono">${r.key}</td>
              <td class="mono">${show(r.value)}</td>
              <td class="mono">${show(r.default)}</td>
              <td>${r.source}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}
