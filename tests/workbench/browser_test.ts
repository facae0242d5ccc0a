/**
 * The workbench in real Chromium (playwright-core driving /usr/bin/chromium): log in, a wrong key
 * refused and the lockout, every screen renders its main element (screenshots under
 * test-results/workbench/), a PQL query paged and explained, examples/orders deployed by upload
 * and undeployed, a store, an index and a document edited, a read-only user refused on deploy,
 * CSRF refused without the token, logout, and no console errors on any page.
 * Skips with a notice when /usr/bin/chromium is missing. playwright gives each launch a fresh user-data-dir.
 */
import { type Browser, chromium } from "playwright-core";
import { assert, assertEquals } from "../_util/assert.ts";
import { buildService } from "../../host/wasm/build.ts";
import { basic, withWorkbench } from "./workbench_server.ts";

// The functions passed to page.evaluate run in the browser, where `document` exists.
// deno-lint-ignore no-explicit-any
declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = new URL("../../test-results/workbench/", import.meta.url).pathname;
const ORDERS_DIR = new URL("../../examples/orders/", import.meta.url).pathname;

/** Every screen of the navigation: path and screenshot name. */
export const SCREENS: [string, string][] = [
  ["/", "overview"],
  ["/services", "services"],
  ["/pql", "pql"],
  ["/stores", "stores"],
  ["/live", "live"],
  ["/schedules", "schedules"],
  ["/backups", "backups"],
  ["/replication", "replication"],
  ["/logs", "logs"],
  ["/users", "users"],
  ["/settings", "settings"],
];

function chromiumPresent(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return true;
  } catch {
    console.log(`workbench browser tests skipped: ${CHROMIUM} is missing`);
    return false;
  }
}

// One browser for the whole file (CI wall time): each step gets its own context (fresh cookies).
Deno.test({
  name: "workbench in Chromium",
  ignore: !chromiumPresent(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SHOTS, { recursive: true });
    const profile = await Deno.makeTempDir({ prefix: "planck_chromium_" });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      await t.step(
        "login, screens, PQL, deploy, stores, roles, CSRF, logout",
        () => mainFlow(browser, profile),
      );
      await t.step("repeated wrong keys lock the user out", () => lockoutFlow(browser));
    } finally {
      await browser.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});

async function mainFlow(browser: Browser, profile: string): Promise<void> {
  const built = await buildService(ORDERS_DIR);
  const wasmPath = `${profile}/orders.wasm`;
  await Deno.writeFile(wasmPath, built.wasm);
  await withWorkbench(async ({ base, adminKey }) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on("dialog", (d) => void d.accept());

    // 1. a wrong key is refused
    await page.goto(`${base}/`);
    assertEquals(new URL(page.url()).pathname, "/login");
    await page.fill("#user", "admin");
    await page.fill("#key", "wrong-key");
    await page.click('button[type="submit"]');
    assert((await page.textContent("#login-error"))!.includes("Invalid user or key"));
    // CSRF-free but expected 401: the console error of the failed POST is a browser message, not ours
    errors.length = 0;

    // 2. log in with the admin key
    await page.fill("#key", adminKey);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    await page.waitForSelector("#cards");

    // 3. every screen renders its main element, with a screenshot at 1280×800 and at a narrow width
    for (const [path, name] of SCREENS) {
      for (const [width, suffix] of [[1280, ""], [420, "-narrow"]] as const) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${base}${path}`);
        const main = page.locator("main#main");
        assert(await main.isVisible(), `${path} at ${width}: main is visible`);
        assert(((await main.innerText()) ?? "").trim().length > 20, `${path} at ${width}: main is not empty`);
        await page.screenshot({ path: `${SHOTS}${name}${suffix}.png`, fullPage: true });
        assertEquals(errors, [], `${path}: no console errors`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // 4. a store, documents, an index
    await page.goto(`${base}/stores`);
    await page.fill("#store-name", "items");
    await page.click('form[data-action="create-store"] button');
    await page.waitForURL(`${base}/stores/items`);
    for (let n = 1; n <= 30; n++) {
      await page.evaluate(async (n) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        await fetch("/api/stores/items/documents", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify({ n, label: `item ${n}` }),
        });
      }, n);
    }
    await page.fill("#index-name", "by_n");
    await page.fill("#index-fields", "n desc");
    await page.click('form[data-action="create-index"] button');
    await page.waitForSelector("#indexes td:has-text('by_n')");
    await page.reload();
    await page.fill("#doc-filter", "n > 28");
    await page.click("#doc-filter ~ button");
    await page.waitForFunction(() => document.querySelectorAll("#documents tbody tr").length === 2);
    await page.click("#documents tbody tr a");
    await page.waitForSelector("#doc-text");
    const text = await page.inputValue("#doc-text");
    await page.fill("#doc-text", text.replace('"item', '"edited'));
    await page.click('button[data-action="save-doc"]');
    await page.waitForSelector("#flash .ok");
    await page.reload();
    assert((await page.inputValue("#doc-text")).includes("edited"));

    // 5. PQL: run with Ctrl+Enter, page through, explain, an error with line:column
    await page.goto(`${base}/pql`);
    await page.fill("#pql-text", "items.orderBy(n)");
    await page.press("#pql-text", "Control+Enter");
    await page.waitForSelector("#pql-range");
    assertEquals((await page.textContent("#pql-range"))!.trim(), "rows 1–25");
    await page.click("button[data-page='1']");
    await page.waitForFunction(() => document.getElementById("pql-range")?.textContent?.includes("26–30"));
    await page.fill("#pql-text", "explain items.filter(n > 3).count()");
    await page.click("#pql-form button[type=submit]");
    await page.waitForSelector("#pql-plan");
    await page.fill("#pql-text", "items.filter(\n n = )");
    await page.click("#pql-form button[type=submit]");
    await page.waitForSelector("#pql-error");
    assert(
      (await page.textContent("#pql-error"))!.includes("at 2:6"),
      await page.textContent("#pql-error") ?? "",
    );
    await page.fill("#pql-text", "items.filter(n = 1).delete()");
    await page.click("#pql-form button[type=submit]");
    await page.click("#pql-confirm");
    await page.waitForSelector("#pql-value");
    await page.screenshot({ path: `${SHOTS}pql-result.png`, fullPage: true });

    // 6. deploy examples/orders by upload, see its routes, undeploy
    await page.goto(`${base}/services`);
    await page.setInputFiles('#deploy-form input[type="file"]', wasmPath);
    await page.click("#deploy-form button[type=submit]");
    await page.waitForSelector('section[data-service="orders"]');
    assert((await page.locator('section[data-service="orders"] tbody tr').count()) > 0);
    await page.screenshot({ path: `${SHOTS}services-deployed.png`, fullPage: true });
    assertEquals(errors, [], "no console errors through stores, PQL and deploy");
    await page.click('button[data-action="undeploy"]');
    await page.waitForSelector("#no-services");

    // 7. CSRF: a state change without the token is refused
    const refused = await page.evaluate(async () => {
      const r = await fetch("/api/stores", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "nope" }),
      });
      return { status: r.status, body: await r.json() };
    });
    assertEquals(refused.status, 403);
    assert(refused.body.message.includes("CSRF"));
    errors.length = 0; // the refused fetch is logged by the browser as a failed resource

    // 8. a read-only user is refused on deploy
    const created = await (await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { ...basic("admin", adminKey), "content-type": "application/json" },
      body: JSON.stringify({ user: "viewer", role: "read_only" }),
    })).json();
    await page.click('button[data-action="logout"]');
    await page.waitForURL(`${base}/login`);
    const after = await page.evaluate(async () => (await fetch("/api/me")).status);
    assertEquals(after, 401);
    errors.length = 0;
    await page.fill("#user", "viewer");
    await page.fill("#key", created.key);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/services`);
    await page.setInputFiles('#deploy-form input[type="file"]', wasmPath);
    await page.click("#deploy-form button[type=submit]");
    await page.waitForSelector("#flash .error");
    assert(
      (await page.textContent("#flash"))!.includes("Forbidden"),
      await page.textContent("#flash") ?? "",
    );
    errors.length = 0;
    await page.goto(`${base}/users`);
    assert((await page.textContent("#screen-error"))!.includes("Forbidden"));
    errors.length = 0; // the 403 page load itself
    await page.goto(`${base}/stores`);
    assertEquals(errors, []);
    await context.close();
  }, (config) => {
    config.security.lockoutFailures = 3;
  });
}

async function lockoutFlow(browser: Browser): Promise<void> {
  await withWorkbench(async ({ base, adminKey }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    for (let i = 0; i < 3; i++) {
      await page.fill("#key", "wrong");
      await page.click('button[type="submit"]');
      await page.waitForSelector("#login-error");
    }
    await page.fill("#key", adminKey);
    await page.click('button[type="submit"]');
    await page.waitForSelector("#login-error");
    assert((await page.textContent("#login-error"))!.includes("Too many failed logins"));
    await context.close();
  }, (config) => {
    config.security.lockoutFailures = 3;
    config.security.lockoutBaseMs = 60_000;
  });
}
