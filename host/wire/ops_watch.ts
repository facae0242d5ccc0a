/**
 * The streaming `watch` op and its controls `credit` and `cancel` (docs/wire-protocol.md, "watch").
 * `watch` checks its fields and the session's role, starts an engine watch (engine/changes/) and
 * registers a WatchSubscription on the session's streams; its first response says where the watch
 * starts; events follow as responses with the same id.
 *
 * Invariants: a watch of a store needs read access to that store (system stores: admins only); a
 * watch of every store needs admin; nothing is registered when a check fails; every bad field is
 * `invalid_argument` naming it.
 */
import { watchFilter } from "../../engine/changes/filter_watch.ts";
import { type WatchIterator, watchStore } from "../../engine/changes/watch.ts";
import { watchAll } from "../../engine/changes/watch_all.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { UserInfo } from "../auth.ts";
import { WATCH_CREDIT_DEFAULT, WATCH_CREDIT_MAX, WATCH_MATCHING_KEYS_MAX } from "../limits.ts";
import { type Access, authorize } from "./authorize.ts";
import {
  arrayField,
  expectFields,
  objectField,
  type OpCall,
  optionalBoolean,
  optionalInteger,
  optionalString,
  type Request,
} from "./request.ts";
import type { Streams } from "./streams.ts";
import { type WatchedEvent, WatchSubscription } from "./watch_subscription.ts";

const WATCH_FIELDS = ["store", "key", "from", "to", "filter", "since", "snapshot", "matching", "credit"];
const STORE_ONLY_FIELDS = ["key", "from", "to", "filter", "matching"];

/** `watch {store?, key?, from?, to?, filter?, since?, snapshot?, matching?, credit?}` → `{lsn, snapshot}`, then events. */
export function opWatch({ ctx, session, request }: OpCall): unknown {
  expectFields(request, WATCH_FIELDS);
  const streams = streamsOf(session);
  const store = optionalString(request, "store");
  const need = store === undefined
    ? { access: "admin" as Access, what: 'op "watch" of every store' }
    : { access: "read" as Access, what: 'op "watch"', stores: [store] };
  authorize(session.user!, need);
  const credit = optionalInteger(request, "credit", { min: 1, max: WATCH_CREDIT_MAX }) ??
    WATCH_CREDIT_DEFAULT;
  const since = sinceField(request);
  let events: WatchIterator<WatchedEvent>;
  if (store === undefined) {
    const extra = STORE_ONLY_FIELDS.find((field) => request[field] !== undefined);
    if (extra !== undefined) {
      throw new PlanckError(
        "invalid_argument",
        `Invalid "${extra}": a watch of every store takes only since and snapshot`,
        {
          field: extra,
        },
      );
    }
    const snapshot = optionalBoolean(request, "snapshot");
    events = watchAll(ctx.db, { since, snapshot }) as unknown as WatchIterator<WatchedEvent>;
  } else {
    const options = {
      key: optionalString(request, "key"),
      from: optionalString(request, "from"),
      to: optionalString(request, "to"),
      since,
      snapshot: optionalBoolean(request, "snapshot"),
    };
    if (request.filter === undefined) {
      if (request.matching !== undefined) {
        throw new PlanckError("invalid_argument", 'Invalid "matching": it goes with a filter', {
          field: "matching",
        });
      }
      events = watchStore(ctx.db, store, options) as unknown as WatchIterator<WatchedEvent>;
    } else {
      const filter = objectField(request, "filter");
      const matching = request.matching === undefined ? undefined : matchingField(request);
      events = watchFilter(ctx.db, store, filter, { ...options, matching }) as unknown as WatchIterator<
        WatchedEvent
      >;
    }
  }
  const subscription = new WatchSubscription({
    id: request.id,
    events,
    startLsn: events.startLsn,
    credit,
    streams,
    db: ctx.db,
    recheck: recheckUser(ctx.users, session.user!, need),
  });
  try {
    streams.add(request.id, subscription);
  } catch (error) {
    void events.return?.();
    throw error;
  }
  return { lsn: events.startLsn, snapshot: events.snapshotSize };
}

/** `credit {target, credit}` → `{credit: true}`: the stream `target` may send `credit` more events. */
export function opCredit({ session, request }: OpCall): unknown {
  expectFields(request, ["target", "credit"]);
  const target = targetField(request);
  const credit = optionalInteger(request, "credit", { min: 1, max: WATCH_CREDIT_MAX });
  if (credit === undefined) {
    throw new PlanckError("invalid_argument", 'Missing "credit" for op "credit"', { field: "credit" });
  }
  streamsOf(session).get(target, "target").credit(credit);
  return { credit: true };
}

/** `cancel {target}` → `{cancelled: bool}`; the stream's `done` frame (reason "cancelled") comes first. */
export function opCancel({ session, request }: OpCall): unknown {
  expectFields(request, ["target"]);
  const target = targetField(request);
  const streams = streamsOf(session);
  let stream;
  try {
    stream = streams.get(target, "target");
  } catch {
    return { cancelled: false }; // already ended: its last frame is on its way
  }
  stream.cancel();
  return { cancelled: true };
}

function streamsOf(session: OpCall["session"]): Streams {
  if (session.streams === undefined) {
    throw new PlanckError("invalid_argument", "Streaming ops need a wire connection", { field: "op" });
  }
  return session.streams;
}

function targetField(request: Request): number {
  const target = optionalInteger(request, "target", { min: 1, max: 0x7fffffff });
  if (target === undefined) {
    throw new PlanckError("invalid_argument", `Missing "target" for op "${request.op}"`, { field: "target" });
  }
  return target;
}

function sinceField(request: Request): number | "now" | undefined {
  const value = request.since;
  if (value === undefined || value === "now") return value;
  if (typeof value === "bigint" && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(value);
  }
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw new PlanckError("invalid_argument", 'Invalid "since" for op "watch": expected an LSN or "now"', {
    field: "since",
  });
}

function matchingField(request: Request): string[] {
  const items = arrayField(request, "matching", {
    max: WATCH_MATCHING_KEYS_MAX,
    limit: "WATCH_MATCHING_KEYS_MAX",
  });
  return items.map((item, i) => {
    if (typeof item !== "string") {
      throw new PlanckError("invalid_argument", `Invalid "matching.${i}": expected a key (32 hex digits)`, {
        field: `matching.${i}`,
      });
    }
    return item;
  });
}

/** Re-authorizes the watching user whenever the users change. */
function recheckUser(
  users: OpCall["ctx"]["users"],
  start: UserInfo,
  need: { access: Access; what: string; stores?: string[] },
): () => void {
  let generation = users.generation;
  let user = start;
  return () => {
    if (users.generation === generation) return;
    generation = users.generation;
    const current = users.get(user.name);
    if (current === undefined || current.keyRotatedAt.getTime() !== user.keyRotatedAt.getTime()) {
      throw new PlanckError("unauthorized", "Watch ended: the user was dropped or its key was rotated");
    }
    user = current;
    authorize(user, need);
  };
}
