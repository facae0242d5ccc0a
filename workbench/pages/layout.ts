/**
 * The page frame: head (embedded stylesheet and scripts), the navigation of the screens that exist,
 * the signed-in user with logout, and the main element every screen fills.
 *
 * Invariants: only screens of parts that exist on this build are in the navigation; the CSRF
 * token is in a meta tag (app.js and htmx send it as `X-CSRF-Token`), never in a URL.
 */
import type { Principal } from "../access.ts";
import { type Html, html } from "../html.ts";

/** The screens in the navigation: path and label. */
export const SCREENS: readonly [string, string][] = [
  ["/", "Overview"],
  ["/services", "Services"],
  ["/pql", "PQL"],
  ["/stores", "Stores"],
  ["/live", "Live"],
  ["/schedules", "Schedules"],
  ["/backups", "Backups"],
  ["/replication", "Replication"],
  ["/logs", "Logs"],
  ["/users", "Users"],
  ["/settings", "Settings"],
];

/** A whole page. */
export function layout(title: string, who: Principal | null, current: string, main: Html): Html {
  const nav = who === null ? html`` : html`
    <nav aria-label="Screens">
      <ul>${SCREENS.map(([path, label]) =>
        html`<li><a href="${path}"${
          path === current
            ? html`
              aria-current="page"
            `
            : html``
        }>${label}</a></li>`
      )}</ul>
    </nav>
    <div class="who"><span title="role ${who.user.role}">${who.user.name} · ${who.user.role}</span>
        <button type="button" data-action="rotate-self" data-user="${who.user
          .name}" class="small">Rotate my key</button>
        <button type="button" data-action="logout" class="small">Log out</button></div>
  `;
  return html`
    <!doctype html>
    <html lang="en">
      <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title} · Planck</title>
    ${who?.session === undefined ? html`` : html`<meta name="csrf-token" content="${who.session.csrf}">`}
    <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
    <link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/style.css">
    <script src="/assets/htmx.min.js" defer></script><script src="/assets/sse.js" defer></script>
    <script src="/assets/app.js" defer></script><script src="/assets/ops.js" defer></script></head>
      <body>
        <header><a class="brand" href="/">Planck</a>${nav}</header>
        <div id="flash" role="status" aria-live="polite"></div>
        <main id="main"><h1>${title}</h1>${main}</main>
      </body>
    </html>
  `;
}
