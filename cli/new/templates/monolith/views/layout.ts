/** The page around every screen: htmx (and the dev reload script) served by Planck itself. */
import { type Html, html } from "planck";

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>${title}</title>
    <link rel="stylesheet" href="/static/app.css">
    <script src="/_planck/assets/htmx.min.js"></script>
    <script src="/_planck/assets/dev-reload.js" defer></script>
  </head>
  <body>
    <h1>__TITLE__</h1>
    ${body}
  </body>
</html>`;
}
