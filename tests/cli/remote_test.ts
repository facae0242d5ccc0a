/**
 * `--remote URL` through the workbench's HTTP API of a real server on other ports, with a profile
 * saved by `planck profile set` in a scratch HOME: deploy, services, status, logs, undeploy; a wrong
 * key (exit 4), an unreachable host (exit 3) and a profiles file readable by others (exit 2).
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { buildService } from "../../host/wasm/build.ts";
import { withWorkbench } from "../workbench/workbench_server.ts";
import { freePort, REPO } from "./fresh_clone.ts";

async function planck(
  args: string[],
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/main.ts`, ...args],
    env: { NO_COLOR: "1", HOME: home, XDG_CONFIG_HOME: `${home}/.config` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("--remote: deploy, services, status, logs, undeploy through the workbench with a profile", async () => {
  const home = await Deno.makeTempDir({ prefix: "planck_remote_" });
  try {
    const wasm = `${home}/orders.wasm`;
    await Deno.writeFile(wasm, (await buildService(`${REPO}/examples/orders`)).wasm);
    await withWorkbench(async ({ base, adminKey, server }) => {
      const saved = await planck(["profile", "set", "staging", "--remote", base, "--key", adminKey], home);
      assertEquals(saved.code, 0, saved.stderr);
      const file = `${home}/.config/planck/profiles`;
      assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);

      const deployed = await planck(["deploy", wasm, "--remote", base], home);
      assertEquals(deployed.code, 0, deployed.stderr);
      assert(deployed.stdout.includes('deployed "orders"'), deployed.stdout);
      const page = await fetch(`http://127.0.0.1:${server.ports.http}/api/orders`);
      assertEquals(page.status, 200);
      await page.body?.cancel();
      const services = await planck(["services", "--remote", base], home);
      assertEquals(JSON.parse(services.stdout.trim().split("\n")[0]).name, "orders");
      const status = await planck(["status", "--profile", "staging", "--remote", base], home);
      assertEquals(status.code, 0, status.stderr);
      assert(typeof JSON.parse(status.stdout).version === "string");
      const logs = await planck(["logs", "--remote", base, "--limit", "50"], home);
      assertEquals(logs.code, 0, logs.stderr);
      assert(logs.stdout.includes("orders"), logs.stdout);
      const undeployed = await planck(["undeploy", "orders", "--remote", base], home);
      assertEquals(undeployed.code, 0, undeployed.stderr);

      const wrong = await planck(["services", "--remote", base, "--key", "not-the-key"], home);
      assertEquals(wrong.code, 4, wrong.stderr);
      assert(wrong.stderr.includes("wrong user or key") && !wrong.stderr.includes(adminKey), wrong.stderr);
      const appPort = await planck(["status", "--remote", `http://127.0.0.1:${server.ports.http}`], home);
      assert(appPort.code !== 0, appPort.stdout);

      await Deno.chmod(file, 0o644);
      const loose = await planck(["services", "--remote", base], home);
      assertEquals(loose.code, 2, loose.stderr);
      assert(loose.stderr.includes(`chmod 600 ${file}`), loose.stderr);
      await Deno.chmod(file, 0o600);
    });
    const gone = await planck(["services", "--remote", `http://127.0.0.1:${freePort()}`, "--key", "k"], home);
    assertEquals(gone.code, 3, gone.stderr);
    assert(gone.stderr.includes("cannot reach the workbench"), gone.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
