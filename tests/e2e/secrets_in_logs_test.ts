/**
 * Keys never reach a log or an error message (docs/security.md, "Keys at rest and in logs"), checked
 * by grep after a `planck start` session full of failures: wrong keys on the wire (up to a lockout),
 * keys sent in the wrong fields, wrong Basic and Bearer credentials on the HTTP admin endpoint and
 * the workbench, created and rotated keys. planck.log, everything the process printed after its
 * first-start message, and every error answer are searched for every key. Then the admin credentials
 * file stays 0600 through a restart (its address refreshed) and an offline `planck users rotate`,
 * even over a stale temporary file left world-readable.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { ClientError, connect } from "../../client/mod.ts";
import { RawWire, runPlanck, spawnServer } from "../host/test_server.ts";

function keyOf(connection: string): string {
  return /key=([^;\s]+)/.exec(connection)![1];
}

function wrongKey(i: number): string {
  return `Wr0ngKey${i}${"x".repeat(30)}${i}`;
}

async function mode(file: string): Promise<number> {
  return (await Deno.stat(file)).mode! & 0o777;
}

Deno.test("no key reaches planck.log, the process output or an error answer; credentials stay 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_secrets_" });
  const data = `${dir}/data`;
  const secrets: string[] = [];
  const answers: string[] = [];
  try {
    const server = await spawnServer(data);
    let printedAtStart = "";
    try {
      const output = server.output();
      printedAtStart = output.slice(0, output.indexOf("planck: ready"));
      const adminKey = keyOf(server.admin);
      secrets.push(adminKey);
      const http = Number(/http listening on [^\s]+:(\d+)/.exec(output)![1]);
      const workbench = Number(/workbench listening on [^\s]+:(\d+)/.exec(output)![1]);
      const root = await connect(server.admin);
      try {
        const readerKey = await root.users.create("reader", "read_only");
        const rotatedKey = await root.users.rotate("reader");
        secrets.push(readerKey, rotatedKey);
        for (let i = 0; i < 7; i++) { // past the lockout of reader at this address
          secrets.push(wrongKey(i));
          await connect(
            server.admin.replace("uid=admin", "uid=reader").replace(/key=[^;]+/, `key=${wrongKey(i)}`),
          )
            .then((c) => c.close(), (error: ClientError) => answers.push(`${error.code} ${error.message}`));
        }
        // The real key in the wrong places.
        const raw = await RawWire.open(server.port);
        try {
          for (
            const request of [
              { id: 1, op: "authenticate", user: "admin", key: adminKey, extra: adminKey },
              { id: 2, op: "authenticate", user: adminKey, key: rotatedKey },
            ]
          ) answers.push(JSON.stringify(await raw.call(request)));
        } finally {
          raw.close();
        }
        await root.request("get", { store: "data", key: rotatedKey }).catch((e: Error) =>
          answers.push(e.message)
        );
        await root.request("pql", { text: `x.insert({"k": "${rotatedKey}"` }).catch((e: Error) =>
          answers.push(e.message)
        );
        for (
          const [port, path, authorization] of [
            [http, "/_planck/metrics", `Basic ${btoa(`admin:${wrongKey(20)}`)}`],
            [http, "/_planck/metrics", `Bearer ${wrongKey(21)}`],
            [workbench, "/api/me", `Basic ${btoa(`admin:${wrongKey(22)}`)}`],
            [workbench, "/api/me", `Basic ${btoa(`${readerKey}:${readerKey}`)}`],
          ] as const
        ) {
          secrets.push(wrongKey(20), wrongKey(21), wrongKey(22));
          const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization } });
          assert(response.status === 401 || response.status === 429, `${path}: ${response.status}`);
          answers.push(`${response.status} ${[...response.headers].join(" ")} ${await response.text()}`);
        }
        assertEquals(
          await root.request("count", { store: "sysusers" }),
          { count: 2 },
          "the session still works",
        );
      } finally {
        root.close();
      }
    } finally {
      await server.stop();
    }
    const log = await Deno.readTextFile(`${data}/planck.log`);
    const afterStart = server.output().slice(printedAtStart.length);
    assert(answers.length >= 12, `collected ${answers.length} answers`);
    for (const secret of new Set(secrets)) {
      assert(!log.includes(secret), `planck.log holds a key:\n${log}`);
      assert(!afterStart.includes(secret), `the process printed a key after its first start:\n${afterStart}`);
      for (const answer of answers) assert(!answer.includes(secret), `an answer holds a key: ${answer}`);
    }
    assertEquals(await mode(`${data}/admin.credentials`), 0o600);
    assertEquals(await mode(`${data}/planck.log`), 0o600);

    // A restart rewrites the credentials with the new address; a stale temporary file is no way in.
    await Deno.writeTextFile(`${data}/admin.credentials.tmp`, "stale", { mode: 0o644 });
    await Deno.chmod(`${data}/admin.credentials.tmp`, 0o644);
    const again = await spawnServer(data);
    await again.stop();
    assertEquals(await mode(`${data}/admin.credentials`), 0o600, "after a restart");
    await Deno.writeTextFile(`${data}/admin.credentials.tmp`, "stale", { mode: 0o644 });
    await Deno.chmod(`${data}/admin.credentials.tmp`, 0o644);
    const rotated = await runPlanck(["users", "rotate", "admin", "--data", data]);
    assertEquals(rotated.code, 0, rotated.stderr);
    assertEquals(await mode(`${data}/admin.credentials`), 0o600, "after an offline rotate");
    const saved = keyOf(await Deno.readTextFile(`${data}/admin.credentials`));
    assert(!secrets.includes(saved), "the rotate saved a new key");
    assert(!(await Deno.readTextFile(`${data}/planck.log`)).includes(saved), "the new key is not logged");
    await Deno.stat(`${data}/admin.credentials.tmp`).then(
      () => assert(false, "no temporary file is left"),
      () => {},
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
