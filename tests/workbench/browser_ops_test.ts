/**
 * The operations screens in real Chromium (one browser for the file): the live view sees changes
 * arrive (a whole store, then a filter's enter/leave), schedules (edit a cron with the preview of
 * its next runs, add one, run now and see it in the history, disable), backups (back up now,
 * verify, restore into a new directory, download the .tar), replication on a primary and on a
 * real replica process-in-process (its primary and lag), with screenshots under
 * test-results/workbench/ and no console errors. Skips with a notice when /usr/bin/chromium is missing.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { assert, assertEquals } from "../_util/assert.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { createWorkbench } from "../../workbench/mod.ts";
import { basic, withWorkbench } from "./workbench_server.ts";

// deno-lint-ignore no-explicit-any
declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = new URL("../../test-results/workbench/", import.meta.url).pathname;

function chromiumPresent(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(`workbench browser tests skipped: ${CHROMIUM} is missing`);
    return false;
  }
}

async function login(page: Page, base: string, user: string, key: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill("#user", user);
  await page.fill("#key", key);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${base}/`);
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on("dialog", (d) => void d.accept());
  return errors;
}

Deno.test({
  name: "workbench ops screens in Chromium",
  ignore: !chromiumPresent(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SHOTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      await withWorkbench(async (wb) => {
        const admin = { ...basic("admin", wb.adminKey), "content-type": "application/json" };
        const api = async (method: string, path: string, body?: unknown) => {
          const r = await fetch(`${wb.base}${path}`, {
            method,
            headers: admin,
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return await r.json();
        };
        await api("POST", "/api/stores", { name: "orders" });
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await context.newPage();
        const errors = watchErrors(page);
        await login(page, wb.base, "admin", wb.adminKey);
        await t.step(
          "live view: changes arrive, then a filter's enter and leave",
          () => liveFlow(page, wb.base, api),
        );
        assertEquals(errors, [], "no console errors on the live view");
        await t.step(
          "schedules: edit cron with preview, add, run now, history, disable",
          () => schedulesFlow(page, wb.base),
        );
        assertEquals(errors, [], "no console errors on schedules");
        await t.step(
          "backups: back up now, verify, restore, download",
          () => backupsFlow(page, wb.base, wb.dataDir),
        );
        assertEquals(errors, [], "no console errors on backups");
        await t.step(
          "replication: the primary lists a real replica and its lag; the replica shows its primary",
          () => replicationFlow(browser, page, wb.base, wb.adminKey, api, wb.server.ports.wire),
        );
        assertEquals(errors, [], "no console errors on replication");
        await t.step("a read-only user watches a store and is refused on schedules and backups", async () => {
          const viewer = await api("POST", "/api/users", { user: "viewer", role: "read_only" });
          const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const ro = await other.newPage();
          await login(ro, wb.base, "viewer", String(viewer.key));
          for (const path of ["/schedules", "/backups"]) {
            await ro.goto(`${wb.base}${path}`);
            assert((await ro.textContent("#screen-error"))!.includes("Forbidden"), path);
          }
          await ro.goto(`${wb.base}/live?store=orders`);
          await ro.waitForFunction(() =>
            document.getElementById("watch-state").textContent.includes("waiting for changes")
          );
          await other.close();
        });
        await context.close();
      });
    } finally {
      await browser.close();
    }
  },
});

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

async function liveFlow(page: Page, base: string, api: Api): Promise<void> {
  await page.goto(`${base}/live?store=orders`);
  await page.waitForFunction(() =>
    document.getElementById("watch-state").textContent.includes("waiting for changes")
  );
  const first = await api("POST", "/api/stores/orders/documents", { amount: 5, status: "new" });
  await api("PUT", `/api/stores/orders/documents/${first.key}`, { amount: 7, status: "paid" });
  await page.waitForFunction(() => document.querySelectorAll("#live-events tbody tr").length === 2);
  const ops = await page.locator("#live-events tbody tr td:nth-child(2)").allInnerTexts();
  assertEquals(ops, ["update", "insert"]); // newest on top
  assert((await page.textContent("#live-events tbody tr:first-child"))!.includes('"status":"paid"'));
  await page.screenshot({ path: `${SHOTS}live-events.png`, fullPage: true });

  await page.fill("#watch-filter", "amount > 10");
  await page.click("#watch-start");
  await page.waitForFunction(() =>
    document.getElementById("watch-state").textContent.includes("where amount > 10")
  );
  await api("POST", "/api/stores/orders/documents", { amount: 3 });
  const big = await api("POST", "/api/stores/orders/documents", { amount: 50 });
  await api("DELETE", `/api/stores/orders/documents/${big.key}`);
  await page.waitForFunction(() => document.querySelectorAll("#live-events tbody tr").length === 2);
  assertEquals(await page.locator("#live-events tbody tr td:nth-child(2)").allInnerTexts(), [
    "leave",
    "enter",
  ]);
  await page.click("#watch-stop");
  await page.waitForFunction(() => document.getElementById("watch-state").textContent === "Stopped.");

  // a bad filter is refused with its position
  await page.fill("#watch-filter", "amount >");
  await page.click("#watch-start");
  await page.waitForSelector("#flash .error");
  assert(
    (await page.textContent("#flash"))!.includes("at line 1, column"),
    await page.textContent("#flash") ?? "",
  );
}

async function schedulesFlow(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/schedules`);
  const row = page.locator('tr[data-schedule="nightly-backup"]');
  await row.locator('input[name="cron"]').fill("30 2 * * *");
  await row.locator(".cron-box li").first().waitFor();
  assert(
    (await row.locator(".cron-box").innerText()).includes("T02:30:00"),
    await row.locator(".cron-box").innerText(),
  );
  await row.locator('input[name="cron"]').fill("61 2 * * *");
  await row.locator(".cron-box .error").waitFor();
  await row.locator('input[name="cron"]').fill("30 2 * * *");
  await row.locator("button[type=submit]").click();
  await page.waitForSelector("#flash .ok");
  await page.reload();
  assertEquals(await page.inputValue('tr[data-schedule="nightly-backup"] input[name="cron"]'), "30 2 * * *");
  assert(
    (await page.locator('tr[data-schedule="nightly-backup"] td:nth-child(4)').innerText()).includes(
      "T02:30:00",
    ),
  );

  await page.fill("#new-name", "stats");
  await page.selectOption("#new-task", "stats-snapshot");
  await page.fill("#new-cron", "*/10 * * * *");
  await page.click('#add-schedule button[type="submit"]');
  await page.waitForSelector('tr[data-schedule="stats"]');
  await page.click('tr[data-schedule="stats"] button[data-action="run-schedule"]');
  await page.waitForSelector('#runs td:has-text("stats")');
  assert((await page.locator("#runs tbody tr").first().innerText()).includes("ok"));
  await page.click('tr[data-schedule="stats"] button[data-action="disable-schedule"]');
  await page.waitForSelector('tr[data-schedule="stats"] button[data-action="enable-schedule"]');
  await page.screenshot({ path: `${SHOTS}schedules-edited.png`, fullPage: true });
}

async function backupsFlow(page: Page, base: string, dataDir: string): Promise<void> {
  await page.goto(`${base}/backups`);
  await page.waitForSelector("#no-backups");
  await page.click("#create-backup");
  await page.waitForSelector("tr[data-backup]");
  const name = (await page.getAttribute("tr[data-backup]", "data-backup"))!;
  await page.click(`tr[data-backup="${name}"] button[data-action="verify-backup"]`);
  await page.waitForSelector(`tr[data-backup="${name}"] .verify-cell .ok`);
  const target = `${dataDir}-restored`;
  try {
    await page.fill(`tr[data-backup="${name}"] input[name="target"]`, target);
    await page.click(`tr[data-backup="${name}"] form button`);
    await page.waitForFunction(() => document.getElementById("flash").textContent.includes("Restored"));
    assert((await Deno.stat(`${target}/wal`)).isDirectory);
  } finally {
    await Deno.remove(target, { recursive: true }).catch(() => {});
  }
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`tr[data-backup="${name}"] a[download]`),
  ]);
  assertEquals(download.suggestedFilename(), name);
  const saved = (await Deno.stat((await download.path())!)).size;
  assert(saved > 10_240, `downloaded ${saved} bytes`);
  await page.screenshot({ path: `${SHOTS}backups-taken.png`, fullPage: true });
  await Deno.remove(`${dataDir}-backups`, { recursive: true });
}

async function replicationFlow(
  browser: Browser,
  page: Page,
  base: string,
  adminKey: string,
  api: Api,
  wirePort: number,
): Promise<void> {
  const user = await api("POST", "/api/users", { user: "follower", role: "replication" });
  const dir = await Deno.makeTempDir({ prefix: "planck_replica_" });
  const config = defaultConfig();
  config.dataDir = dir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 1_000;
  config.replication.replicaOf = `127.0.0.1:${wirePort};uid=follower;key=${user.key}`;
  const replica = await startServer(config, { log: () => {}, signals: false, workbench: createWorkbench });
  try {
    await page.goto(`${base}/replication`);
    await page.waitForSelector("#replicas td.mono", { timeout: 20_000 }); // refreshed every 2 s
    assert((await page.textContent("#replication-role"))!.includes("the primary"));
    await page.screenshot({ path: `${SHOTS}replication-primary.png`, fullPage: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const other = await context.newPage();
    const errors = watchErrors(other);
    const replicaBase = `http://127.0.0.1:${replica.ports.workbench}`;
    await login(other, replicaBase, "admin", adminKey);
    await other.goto(`${replicaBase}/replication`);
    assert((await other.textContent("#replication-role"))!.includes("a replica"));
    assert((await other.textContent("#replication-primary"))!.includes(`127.0.0.1:${wirePort}`));
    await other.screenshot({ path: `${SHOTS}replication-replica.png`, fullPage: true });
    await other.goto(`${replicaBase}/`);
    assert((await other.textContent("#cards"))!.includes("Replica of"));
    await other.goto(`${replicaBase}/schedules`);
    assert((await other.textContent("#screen-error"))!.includes("replica"));
    errors.length = 0; // the 503 page load of schedules on a replica
    await context.close();
  } finally {
    await replica.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
