/** Users: list, create (key shown once), set role, rotate key, drop. Admins only (others see why). */
import type { UserInfo } from "../../host/auth.ts";
import { ROLES } from "../../host/auth.ts";
import { type Html, html } from "../html.ts";

/** The users screen. */
export function usersMain(users: UserInfo[]): Html {
  const roleSelect = (id: string, current: string) =>
    html`<select id="${id}" name="role" aria-label="Role">${
      ROLES.map((r) =>
        html`
          <option value="${r}" ${r === current
            ? html`
              selected
            `
            : html``}>${r}</option>
        `
      )
    }</select>`;
  return html`
    <form class="row" data-action="create-user"><label for="new-user">New user</label>
      <input id="new-user" name="user" required pattern="[A-Za-z0-9_][A-Za-z0-9_.@-]*">${roleSelect(
        "new-role",
        "read_only",
      )}
      <button type="submit">Create</button></form>
    <div class="scroll">
      <table id="users">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Created</th>
            <th>Key rotated</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>${users.map((u) =>
          html`
            <tr>
              <td>${u.name}</td>
              <td><span class="row">${roleSelect(`role-${u.name}`, u.role)}
                  <button type="button" class="secondary small" data-action="set-role" data-user="${u
                    .name}">Set</button></span></td>
              <td>${u.createdAt.toISOString()}</td>
              <td>${u.keyRotatedAt.toISOString()}</td>
              <td><button type="button" class="secondary small" data-action="rotate" data-user="${u
                .name}">Rotate key</button>
                  <button type="button" class="danger small" data-action="drop-user" data-user="${u
                    .name}">Drop</button></td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}
