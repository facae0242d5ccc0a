/**
 * The framework's Datastar helpers against the Datastar project's SDK golden suite
 * (`../shared/conformance/datastar-sdk/golden/{get,post}/<case>/{input.json,output.txt}`, resolved
 * from the repository root): a service exposing `/test` (tests/fixtures/datastar_service/) is built,
 * deployed to a real Planck server, and every case is sent to it over HTTP — GET with the input in
 * the `datastar` query parameter, POST as the JSON body. The answer is compared as the suite does:
 * the same events in order; per event the same non-data fields; data lines grouped by their first
 * word, each group's lines in order; the `elements` group compared as HTML with the attributes of
 * each tag sorted. Skips with a notice when the suite is absent.
 */
import { assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { withServer } from "../host/test_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SUITE = `${ROOT}../shared/conformance/datastar-sdk/golden`;
const SERVICE_DIR = new URL("../fixtures/datastar_service/", import.meta.url).pathname;

function suitePresent(): boolean {
  try {
    Deno.statSync(SUITE);
    return true;
  } catch {
    console.log(`Datastar SDK conformance skipped: ${SUITE} is absent`);
    return false;
  }
}

interface SseEvent {
  fields: Map<string, string[]>;
}

/** Events of an SSE text: fields by name, values trimmed (as the suite's own parser does). */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let current: SseEvent | null = null;
  for (const line of text.split("\n")) {
    if (line === "") {
      if (current !== null) events.push(current);
      current = null;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    current ??= { fields: new Map() };
    const name = line.slice(0, colon);
    const values = current.fields.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    current.fields.set(name, values);
  }
  if (current !== null) events.push(current);
  return events;
}

/** HTML with every tag's attributes sorted by name. */
function normalizeHtml(html: string): string {
  return html.replace(
    /<([a-zA-Z][\w-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*>/g,
    (_m, tag: string, attrs: string) => {
      const list = [...attrs.matchAll(/([^\s=>]+)(?:="([^"]*)")?/g)].map((a) => `${a[1]}="${a[2] ?? ""}"`)
        .sort();
      return `<${tag}${list.map((a) => " " + a).join("")}>`;
    },
  ).trim();
}

/** The comparable form of one event. */
function canonical(event: SseEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of [...event.fields].sort(([a], [b]) => a.localeCompare(b))) {
    if (name !== "data") {
      out[name] = values;
      continue;
    }
    const groups = new Map<string, string[]>();
    for (const value of values) {
      const space = value.indexOf(" ");
      const key = space < 0 ? value : value.slice(0, space);
      groups.set(key, [...(groups.get(key) ?? []), space < 0 ? "" : value.slice(space + 1)]);
    }
    const data: Record<string, unknown> = {};
    for (const [key, lines] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      data[key] = key === "elements" ? normalizeHtml(lines.join("\n")) : lines;
    }
    out.data = data;
  }
  return out;
}

Deno.test({
  name: "Datastar helpers pass the Datastar SDK golden suite through a real Planck server",
  ignore: !suitePresent(),
  async fn() {
    const built = await buildService(SERVICE_DIR);
    await withServer(async ({ server, admin }) => {
      const client = await connect(admin);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      const base = `http://127.0.0.1:${server.ports.http}`;
      let cases = 0;
      for (const method of ["get", "post"]) {
        for (
          const entry of [...Deno.readDirSync(`${SUITE}/${method}`)].sort((a, b) =>
            a.name.localeCompare(b.name)
          )
        ) {
          if (!entry.isDirectory) continue;
          const dir = `${SUITE}/${method}/${entry.name}`;
          const input = Deno.readTextFileSync(`${dir}/input.json`);
          const expected = Deno.readTextFileSync(`${dir}/output.txt`);
          const headers = { accept: "text/event-stream", "datastar-request": "true" };
          const response = method === "get"
            ? await fetch(`${base}/test?${new URLSearchParams({ datastar: input })}`, { headers })
            : await fetch(`${base}/test`, {
              method: "POST",
              body: input,
              headers: { ...headers, "content-type": "application/json" },
            });
          const actual = await response.text();
          assertEquals(response.status, 200, `${method}/${entry.name}: ${actual}`);
          assertEquals(response.headers.get("content-type"), "text/event-stream");
          assertEquals(
            parseSse(actual).map(canonical),
            parseSse(expected).map(canonical),
            `${method}/${entry.name}:\n${actual}`,
          );
          cases++;
        }
      }
      console.log(`Datastar SDK golden suite: ${cases} cases passed`);
    });
  },
});
