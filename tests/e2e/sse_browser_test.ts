/**
 * The orders live list in real Chromium (playwright-core driving /usr/bin/chromium): page A shows
 * the list (htmx + htmx-ext-sse from /_planck/assets, EventSource on /events?topic=orders); an
 * order created and its status changed from page B appear in A without polling (the latency from
 * B's click to A's DOM update is printed); then the `planck start` process is stopped, an order is
 * written straight into the data directory while it is down, the server starts again on the same
 * port, and A's EventSource reconnects with Last-Event-ID and receives that write and a later one
 * — the events A received are compared with the writes: no gap, no duplicate.
 * Skips with a notice when /usr/bin/chromium is missing; playwright gives each launch a fresh
 * user-data-dir.
 */
import { chromium } from "playwright-core";
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { openDatabase, Store } from "../../engine/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { spawnServer } from "../host/test_server.ts";
import { freePort } from "../_util/ports.ts";

// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const window: any;

const CHROMIUM = "/usr/bin/chromium";
const ORDERS_DIR = new URL("../../examples/orders/", import.meta.url).pathname;
/** Generous: the machine running the tests may be loaded. */
const WAIT_MS = 20_000;

function chromiumPresent(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(`SSE browser test skipped: ${CHROMIUM} is missing`);
    return false;
  }
}

interface Received {
  id: string;
  data: string;
}

Deno.test({
  name:
    "orders live list in Chromium: a POST in page B appears in page A; resume by Last-Event-ID after a restart",
  ignore: !chromiumPresent(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const built = await buildService(ORDERS_DIR);
    const dataDir = await Deno.makeTempDir({ prefix: "planck_sse_browser_" });
    const httpPort = freePort();
    const base = `http://127.0.0.1:${httpPort}`;
    let server = await spawnServer(dataDir, { httpPort });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
      ],
    });
    try {
      const client = await connect(server.admin);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      const context = await browser.newContext();
      await context.addInitScript(() => {
        window.__received = [];
        window.__opens = 0;
        document.addEventListener("htmx:sseOpen", () => window.__opens++);
        document.addEventListener(
          "htmx:sseMessage",
          (e: { detail: { lastEventId: string; data: string } }) => {
            window.__received.push({ id: e.detail.lastEventId, data: e.detail.data });
          },
        );
      });
      const errors: string[] = [];
      const pageA = await context.newPage();
      pageA.on("pageerror", (e) => errors.push(e.message));
      const pageB = await context.newPage();
      await pageA.goto(`${base}/`);
      await pageB.goto(`${base}/`);
      await pageA.waitForFunction(() => window.__opens >= 1, null, { timeout: WAIT_MS });

      // 1. An order created in B appears in A.
      const started = performance.now();
      await pageB.fill("input[name=title]", "Tea from B");
      await pageB.click("form button");
      await pageA.waitForFunction(
        () => document.querySelector("#orders li")?.textContent.includes("Tea from B"),
        null,
        {
          timeout: WAIT_MS,
        },
      );
      const latencyMs = performance.now() - started;
      console.log(
        `POST in page B → fragment in page A's DOM: ${latencyMs.toFixed(0)} ms (the issue asks < 1000 ms)`,
      );
      const key = (await pageA.getAttribute("#orders li", "id"))!.slice("order-".length);
      // 2. Its status changed in B changes in A (out-of-band swap of the same <li>).
      await pageB.reload();
      await pageB.click(`#order-${key} button`);
      await pageA.waitForFunction(
        (k: string) => document.querySelector(`#order-${k} .status`)?.textContent === "paid",
        key,
        { timeout: WAIT_MS },
      );

      // 3. The server stops; an order is written while it is down; it starts again on the same port.
      const opensBefore = await pageA.evaluate(() => window.__opens);
      const status = await server.stop("SIGTERM");
      assertEquals(status.code, 0, server.output());
      const db = await openDatabase(dataDir);
      const downKey = await new Store(db, "orders__orders").insert({
        title: "Written while down",
        amount: 1,
        status: "open",
        created: new Date(),
      });
      await db.close();
      server = await spawnServer(dataDir, { httpPort });
      await pageA.waitForFunction((n: number) => window.__opens > n, opensBefore, { timeout: WAIT_MS });
      await pageA.waitForSelector(`#order-${downKey}`, { timeout: WAIT_MS });
      // 4. A write after the restart, from B.
      await pageB.reload();
      await pageB.fill("input[name=title]", "After restart");
      await pageB.click("form button");
      await pageA.waitForFunction(
        () => document.querySelector("#orders li")?.textContent.includes("After restart"),
        null,
        {
          timeout: WAIT_MS,
        },
      );

      const received = await pageA.evaluate(() => window.__received) as Received[];
      const summary = received.map((r) => {
        const k = /id="order-([0-9a-f]{32})"/.exec(r.data)?.[1];
        const s = /<span class="status">(\w+)<\/span>/.exec(r.data)?.[1];
        return `${k === key ? "first" : k === downKey ? "down" : "after"}:${s}`;
      });
      assertEquals(
        summary,
        ["first:open", "first:paid", "down:open", "after:open"],
        JSON.stringify(received),
      );
      const ids = received.map((r) => Number(r.id));
      for (let i = 1; i < ids.length; i++) assert(ids[i] > ids[i - 1], `event ids increase: ${ids}`);
      assertEquals(await pageA.locator("#orders li").count(), 3, "no duplicate item in page A");
      assertEquals(errors, []);
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
