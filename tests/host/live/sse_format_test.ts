/**
 * The bytes of the SSE blocks (host/live/sse_format.ts), exactly as docs/changes.md ("SSE format")
 * lists them: htmx, Datastar and JSON topic events, the opening block, heartbeats and
 * resume_point_lost; line breaks of every kind split into data lines.
 */
import { assertEquals } from "../../_util/assert.ts";
import {
  eventJson,
  formatBody,
  heartbeatBlock,
  openingBlock,
  resumeLostBlock,
  topicBlock,
} from "../../../host/live/sse_format.ts";
import type { ManifestTopic } from "../../../protocol/abi.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function topic(format: ManifestTopic["format"], render: boolean): ManifestTopic {
  return { name: "orders", store: "orders", format, event: "orders", render, authorize: false };
}

Deno.test("sse_format: htmx, datastar and json bodies, with and without the id line", () => {
  const htmx = formatBody(topic("htmx", true), "", "<li>\r\n  a\rb\n</li>")!;
  assertEquals(htmx, "event: orders\ndata: <li>\ndata:   a\ndata: b\ndata: </li>\n\n");
  const block = topicBlock(42, htmx);
  assertEquals(text(block.withId), "id: 42\n" + htmx);
  assertEquals(text(block.bare), htmx);
  assertEquals(
    formatBody(topic("datastar", true), "", { selector: "#order-1", mode: "remove" }),
    "event: datastar-patch-elements\ndata: selector #order-1\ndata: mode remove\n\n",
  );
  assertEquals(
    formatBody(topic("datastar", true), "", '<li id="order-1">x</li>'),
    'event: datastar-patch-elements\ndata: elements <li id="order-1">x</li>\n\n',
  );
  const json = eventJson({ lsn: 7, op: "insert", store: "orders", key: "k", doc: { at: new Date(5) } });
  assertEquals(json, '{"lsn":7,"op":"insert","store":"orders","key":"k","doc":{"at":{"$date":5}}}');
  assertEquals(formatBody(topic("json", false), json, undefined), `event: orders\ndata: ${json}\n\n`);
  assertEquals(formatBody(topic("json", true), json, { n: 1 }), 'event: orders\ndata: {"n":1}\n\n');
  assertEquals(formatBody(topic("htmx", true), json, null), null, "null skips the event");
});

Deno.test("sse_format: opening, heartbeat and resume_point_lost blocks", () => {
  assertEquals(text(openingBlock(1000, 12)), "retry: 1000\nid: 12\n\n");
  assertEquals(text(heartbeatBlock(null)), ": heartbeat\n\n");
  assertEquals(text(heartbeatBlock(30)), ": heartbeat\nid: 30\n\n");
  assertEquals(
    text(resumeLostBlock(7, 900, 1200)),
    'event: resume_point_lost\nid: 1200\ndata: {"code":"resume_point_lost","message":"Cannot resume after LSN 7: ' +
      'the oldest LSN kept is 900; reload the page","oldestLsn":900,"lsn":1200}\n\n',
  );
});
