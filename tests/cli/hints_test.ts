/**
 * The hints a newcomer gets for the usual first mistakes, through the real `planck` command and
 * real sockets: a client pointed at the HTTP port, a refused port (at once, no retries), plain TCP
 * to the TLS wire port (skipped without openssl), `planck pql --data` of a missing directory,
 * single quotes and SQL in PQL, and `help`.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { withServer } from "../host/test_server.ts";
import { freePort, REPO } from "./fresh_clone.ts";

async function planck(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/main.ts`, ...args],
    env: { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("hint: a connection string with the HTTP port says so and names the wire port", async () => {
  await withServer(async ({ server, admin }) => {
    const wrong = admin.replace(/:\d+;/, `:${server.ports.http};`);
    const result = await planck(["pql", "--connect", wrong, "orders.count()"]);
    assertEquals(result.code, 3, result.stderr);
    assert(result.stderr.includes("this looks like an HTTP port"), result.stderr);
    assert(result.stderr.includes("the wire port is 23469"), result.stderr);
  });
});

Deno.test("hint: a refused port fails at once with what to check", async () => {
  const port = freePort();
  const result = await planck(["pql", "--connect", `127.0.0.1:${port};uid=admin;key=x`, "orders.count()"]);
  assertEquals(result.code, 3, result.stderr);
  assert(result.stderr.includes("nothing listens there: is Planck running"), result.stderr);
});

Deno.test("hint: planck pql --data of a missing directory asks for --create", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_hints_" });
  try {
    const missing = await planck(["pql", "--data", `${dir}/nope`, "orders.count()"]);
    assertEquals(missing.code, 2);
    assert(missing.stderr.includes("pass --create"), missing.stderr);
    const exists = await Deno.stat(`${dir}/nope`).then(() => true, () => false);
    assert(!exists, "nothing was created");
    const created = await planck(["pql", "--data", `${dir}/nope`, "--create", 'orders.insert({"a": 1})']);
    assertEquals(created.code, 0, created.stderr);

    const quoted = await planck(["pql", "--data", `${dir}/nope`, "orders.filter(status = 'open')"]);
    assertEquals(quoted.code, 1);
    assert(quoted.stderr.includes(`write "open", not 'open'`), quoted.stderr);
    const sql = await planck(["pql", "--data", `${dir}/nope`, "SELECT * FROM orders"]);
    assertEquals(sql.code, 1);
    assert(sql.stderr.includes("PQL is not SQL"), sql.stderr);
    const help = await planck(["pql", "--data", `${dir}/nope`], "help\norders.count()\n");
    assertEquals(help.code, 0, help.stderr);
    assert(help.stdout.includes("PQL statements") && help.stdout.includes('{"count":1}'), help.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function selfSigned(dir: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const certDir = await Deno.makeTempDir({ prefix: "planck_hints_tls_" });
const haveCert = await selfSigned(certDir);
if (!haveCert) console.log("hints_test: no openssl, the TLS hint is not tested");

Deno.test({
  name: "hint: plain TCP to the TLS wire port says to add tls=true",
  ignore: !haveCert,
  async fn() {
    try {
      await withServer(async ({ admin }) => {
        const result = await planck(["pql", "--connect", admin.replace(";tls=true", ""), "orders.count()"]);
        assertEquals(result.code, 3, result.stderr);
        assert(result.stderr.includes('add ";tls=true"'), result.stderr);
      }, (config) => {
        config.tls = { certFile: `${certDir}/cert.pem`, keyFile: `${certDir}/key.pem` };
      });
    } finally {
      await Deno.remove(certDir, { recursive: true });
    }
  },
});
