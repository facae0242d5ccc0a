/** Helpers for change-stream tests: take events from a watch, and compare them with expected writes. */
import type { ChangeEvent } from "../../../engine/changes/record.ts";
import type { Document } from "../../../engine/document.ts";
import { assert, assertEquals } from "../../_util/assert.ts";

/** An expected event: what the test wrote. */
export interface Expected {
  op: ChangeEvent["op"];
  key: string;
  doc?: Document;
}

/** The next `count` events of `events` (the test knows that many are coming). */
export async function take(events: AsyncIterator<ChangeEvent>, count: number): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  while (out.length < count) {
    const next = await events.next();
    assert(next.done !== true, `the watch ended after ${out.length} of ${count} events`);
    out.push(next.value);
  }
  return out;
}

/** Checks events against the writes: same ops, keys and documents, LSNs strictly increasing. */
export function assertEventsMatch(events: ChangeEvent[], expected: Expected[], label = "events"): void {
  assertEquals(
    events.map((e) => ({ op: e.op, key: e.key, ...(e.doc === undefined ? {} : { doc: e.doc }) })),
    expected.map((e) => ({ op: e.op, key: e.key, ...(e.doc === undefined ? {} : { doc: e.doc }) })),
    label,
  );
  for (let i = 1; i < events.length; i++) {
    assert(
      events[i].lsn > events[i - 1].lsn,
      `${label}: LSNs increase (${events[i - 1].lsn}, ${events[i].lsn})`,
    );
    assert(events[i].commitLsn >= events[i - 1].commitLsn, `${label}: commit order`);
  }
}
