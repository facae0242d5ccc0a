/** The login screen: user name and key (or a whole connection string pasted as the key). */
import { type Html, html } from "../html.ts";

/** The login form, with an optional error. */
export function loginPage(error: string | null, user = "admin"): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Log in · Planck</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/assets/style.css">
      </head>
      <body>
        <main id="main">
          <form class="login" method="post" action="/login">
    <h1>Planck workbench</h1>
    <p class="muted">Log in with a user's key. On first start <code>planck start</code> printed the key of
    "admin"; it is also in <code>&lt;data&gt;/admin.credentials</code>.</p>
    ${error === null ? html`` : html`<p class="error" role="alert" id="login-error">${error}</p>`}
    <label for="user">User</label><input id="user" name="user" value="${user}" autocomplete="username" required>
    <label for="key">Key</label><input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
    <p><button type="submit">Log in</button></p></form>
        </main>
      </body>
    </html>
  `;
}
