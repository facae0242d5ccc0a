/**
 * The README's first path in a fresh clone with a scratch HOME, ending in real Chromium: the
 * set-up command (`deno task install`), `planck new shop --style monolith`, `planck dev shop`,
 * open the page, edit `views/layout.ts`, and see the new heading appear in the open page without
 * a reload (dev-reload.js swaps the body on the dev events stream). The wall time of the whole
 * path is printed (not asserted: the machine is shared). Skips with a notice without Chromium.
 */
import * as path from "node:path";
import { chromium } from "playwright-core";
import { assert, assertEquals } from "../_util/assert.ts";
import { shellQuote } from "../../scripts/install.ts";
import { freshClone, sh } from "./fresh_clone.ts";

const CHROMIUM = "/usr/bin/chromium";
const present = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!present) console.log(`dev_browser_test: no ${CHROMIUM}, skipped`);

/** Resolves with the first match of `pattern` in the child's combined output. */
function watchOutput(child: Deno.ChildProcess): (pattern: RegExp) => Promise<RegExpExecArray> {
  let output = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(output);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      check();
    }
  };
  pump(child.stdout);
  pump(child.stderr);
  return (pattern) => {
    const found = new Promise<RegExpExecArray>((resolve) => waiters.push({ pattern, resolve }));
    check();
    const exited = child.status.then((s) => {
      throw new Error(`planck dev exited (${s.code}) before ${pattern}:\n${output}`);
    });
    return Promise.race([found, exited]);
  };
}

Deno.test({
  name: "README path: install, planck new, planck dev, edit a template, see it in Chromium",
  ignore: !present,
  async fn() {
    const started = performance.now();
    const clone = await freshClone();
    let dev: Deno.ChildProcess | undefined;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const env = { ...clone.env, PATH: `${clone.home}/.local/bin:${clone.env.PATH}` };
      const install = await sh(`${shellQuote(Deno.execPath())} task install`, { cwd: clone.repo, env });
      assertEquals(install.code, 0, install.stderr);
      const made = await sh("planck new shop --style monolith", { cwd: clone.repo, env });
      assertEquals(made.code, 0, made.stderr);
      dev = new Deno.Command("bash", {
        args: ["-c", "exec planck dev shop --http-port 0 --wire-port 0 --workbench-port 0"],
        cwd: clone.repo,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const waitFor = watchOutput(dev);
      const base = (await waitFor(/planck: dev: open (\S+)\//))[1];
      await waitFor(/watching/);
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      assertEquals(await page.textContent("h1"), "Shop");
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);

      const layout = path.join(clone.repo, "shop", "views", "layout.ts");
      const edited = (await Deno.readTextFile(layout)).replace("<h1>Shop</h1>", "<h1>Shop, edited</h1>");
      const editedAt = performance.now();
      await Deno.writeTextFile(layout, edited);
      await page.waitForFunction('document.querySelector("h1")?.textContent === "Shop, edited"', null, {
        timeout: 0,
      });
      const seenMs = performance.now() - editedAt;
      const marker = await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker);
      assertEquals(marker, 42, "the page was updated in place, not reloaded");
      assert(await page.isVisible("form[hx-post='/products']"), "the htmx page is still whole");
      console.log(
        `README path (install, new, dev, edit, seen in Chromium): ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s` +
          ` wall; edit → visible ${Math.round(seenMs)} ms`,
      );
    } finally {
      await browser.close();
      if (dev !== undefined) {
        dev.kill("SIGINT");
        await dev.status;
      }
      await clone.remove();
    }
  },
});
