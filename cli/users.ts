/**
 * `planck users add|list|drop|role|rotate|grant|revoke`: user management on a running server (admin
 * credentials) or, with --data, on a stopped server's directory (the way back in after losing
 * the admin key: `planck users rotate admin --data DIR`).
 */
import { parseRole, parseUserName, type Role } from "../host/auth.ts";
import { readCredentials, writeCredentials } from "../host/credentials.ts";
import { validateServiceName } from "../protocol/abi.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";
import { EXIT, parseArgs, type ParsedArgs, UsageError } from "./args.ts";
import { jsonLine } from "./output.ts";
import { closeTarget, connectionFor, localUsers, openTarget, type Target, TARGET_FLAGS } from "./target.ts";

export const USERS_USAGE = `planck users <action> [--connect STR | --data DIR] [--timeout MS]

  add NAME [--role read_write|read_only|admin|replication]   create a user (default read_write); prints its
                                                 connection string (the key is shown only now)
  list                                           one JSON line per user
  drop NAME                                      delete a user (not the last admin)
  role NAME ROLE                                 change a user's role
  rotate NAME                                    replace a user's key; prints the new connection string
  grant NAME APP                                 let a user reach service APP's stores (within its role)
  revoke NAME APP                                take that access away again`;

interface Action {
  arity: number;
  run(target: Target, args: string[], parsed: ParsedArgs): Promise<void>;
}

const ACTIONS: Record<string, Action> = {
  add: {
    arity: 1,
    async run(target, [name], parsed) {
      const role = parseRole(parsed.flags.get("--role") ?? "read_write", "--role");
      const key = target.kind === "remote"
        ? await target.client.users.create(name, role)
        : await localUsers(target).create(parseUserName(name), role);
      console.log(await connectionFor(target, name, key));
    },
  },
  list: {
    arity: 0,
    async run(target) {
      const users = target.kind === "remote" ? await target.client.users.list() : localUsers(target).list();
      for (const user of users) console.log(jsonLine(user));
    },
  },
  drop: {
    arity: 1,
    async run(target, [name]) {
      if (target.kind === "remote") await target.client.users.drop(name);
      else await localUsers(target).drop(name);
      console.error(`planck: dropped user "${name}"`);
    },
  },
  role: {
    arity: 2,
    async run(target, [name, roleText]) {
      const role: Role = parseRole(roleText);
      if (target.kind === "remote") await target.client.users.setRole(name, role);
      else await localUsers(target).setRole(name, role);
      console.error(`planck: user "${name}" is now ${role}`);
    },
  },
  grant: grantAction(true),
  revoke: grantAction(false),
  rotate: {
    arity: 1,
    async run(target, [name], parsed) {
      const key = target.kind === "remote"
        ? await target.client.users.rotate(name)
        : await localUsers(target).rotate(name);
      console.log(await connectionFor(target, name, key));
      await updateSavedKey(parsed, name, key);
    },
  },
};

function grantAction(granted: boolean): Action {
  return {
    arity: 2,
    async run(target, [name, app]) {
      const apps = target.kind === "remote"
        ? await (granted ? target.client.users.grant(name, app) : target.client.users.revoke(name, app))
        : await localUsers(target).setGrant(parseUserName(name), validateServiceName(app), granted);
      console.log(jsonLine({ user: name, apps }));
    },
  };
}

/**
 * After a rotation: the data directory's admin.credentials (the one of --data, or ./data when the
 * command found its server there) is rewritten with the new key when it holds that user's key —
 * else the next command would fail to log in with the old one.
 */
async function updateSavedKey(parsed: ParsedArgs, name: string, key: string): Promise<void> {
  const implicit = !parsed.flags.has("--connect") && Deno.env.get("PLANCK_CONNECT") === undefined;
  const dataDir = parsed.flags.get("--data") ?? (implicit ? DATA_DIR_DEFAULT : undefined);
  if (dataDir === undefined) return;
  const saved = await readCredentials(dataDir);
  if (saved === undefined || saved.user !== name) return;
  const file = await writeCredentials(dataDir, { ...saved, key });
  console.error(`planck: updated "${file}" with the new key`);
}

/** Runs `planck users …`. */
export async function runUsers(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: [...TARGET_FLAGS, "--role"] });
  const [actionName, ...rest] = parsed.positionals;
  const action = actionName === undefined ? undefined : ACTIONS[actionName];
  if (action === undefined) throw new UsageError(`expected one of ${Object.keys(ACTIONS).join(", ")}`);
  if (rest.length !== action.arity) {
    throw new UsageError(`"users ${actionName}" takes ${action.arity} argument(s)`);
  }
  if (parsed.flags.has("--role") && actionName !== "add") throw new UsageError("--role is only for add");
  const target = await openTarget(parsed, { local: true });
  try {
    await action.run(target, rest, parsed);
    return EXIT.ok;
  } finally {
    await closeTarget(target);
  }
}
