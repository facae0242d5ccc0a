import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { LOCK_FILE, lockDir } from "../../../engine/db/dir_lock.ts";
import { openDatabase } from "../../../engine/db/database.ts";

const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;
const ENGINE = new URL("../../../engine/mod.ts", import.meta.url).href;

/** Source for `deno eval`: opens `dir`, prints "ready" (or the error code), holds it `holdMs`, closes. */
function openerSource(dir: string, holdMs: number): string {
  return `
    import { openDatabase } from ${JSON.stringify(ENGINE)};
    try {
      const db = await openDatabase(${JSON.stringify(dir)});
      console.log("ready");
      await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
      await db.close();
      console.log("closed");
    } catch (error) {
      console.log("error " + error.code + " " + error.message);
    }`;
}

function opener(dir: string, holdMs: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", CONFIG, openerSource(dir, holdMs)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function outputOf(child: Deno.ChildProcess): Promise<string> {
  const output = await child.output();
  return new TextDecoder().decode(output.stdout).trim() + new TextDecoder().decode(output.stderr).trim();
}

/** Reads the child's stdout until it prints `line`. */
async function waitForLine(child: Deno.ChildProcess, line: string): Promise<void> {
  const reader = child.stdout.getReader();
  let text = "";
  try {
    while (!text.split("\n").includes(line)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited before printing "${line}": ${text}`);
      text += new TextDecoder().decode(value);
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test("lockDir records the holder and can be taken again after release", async () => {
  await withTempDir((dir) => {
    const lock = lockDir(dir);
    const text = Deno.readTextFileSync(`${dir}/${LOCK_FILE}`);
    assert(text.startsWith(`pid ${Deno.pid} on `), text);
    lock.release();
    lockDir(dir).release();
  });
});

Deno.test("openDatabase fails with locked naming the holder's pid while the directory is open", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async () => {
      const error = await assertRejectsCode(() => openDatabase(dir), "locked", `pid ${Deno.pid}`);
      assert(error.message.includes(`"${dir}"`), error.message);
      assertEquals(error.location?.file, `${dir}/${LOCK_FILE}`);
      await assertRejectsCode(() => openDatabase(dir), "locked"); // a failed attempt leaves no trace
    })
  );
  await withTempDir(async (dir) => {
    const db = await openDatabase(dir);
    await db.close();
    await withDatabase(dir, {}, () => {}); // released by close
  });
});

Deno.test("openDatabase from another process fails with locked while open and succeeds after close", async () => {
  await withTempDir(async (dir) => {
    const db = await openDatabase(dir);
    try {
      const output = await outputOf(opener(dir, 0));
      assert(output.startsWith("error locked "), output);
      assert(output.includes(`pid ${Deno.pid}`), output);
    } finally {
      await db.close();
    }
    const output = await outputOf(opener(dir, 0));
    assertEquals(output, "ready\nclosed");
  });
});

Deno.test("openDatabase succeeds after the holding process is SIGKILLed", async () => {
  await withTempDir(async (dir) => {
    const child = opener(dir, 600_000);
    try {
      await waitForLine(child, "ready");
      await assertRejectsCode(() => openDatabase(dir), "locked", `pid ${child.pid}`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
    }
    await withDatabase(dir, {}, (db) => assertEquals(db.closed, false));
  });
});
