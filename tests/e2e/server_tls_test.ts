/**
 * TLS from config: with `tls.cert_file` and `tls.key_file` the wire port speaks TLS; a client with
 * `tls=true` (and the CA) connects, a plaintext client does not. Skipped without `openssl`.
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { withServer } from "../host/test_server.ts";

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
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false; // no openssl on this machine
  }
}

const certDir = await Deno.makeTempDir({ prefix: "planck_tls_" });
const haveCert = await selfSigned(certDir);
if (!haveCert) await Deno.remove(certDir, { recursive: true });

Deno.test({
  name: "wire server serves TLS from config and the client connects with tls=true",
  ignore: !haveCert,
  async fn() {
    try {
      await withServer(async ({ admin }) => {
        assert(admin.includes(";tls=true"), admin);
        const db = await connect(`${admin};ca=${certDir}/cert.pem`);
        await db.insert("secure", { ok: true });
        assertEquals((await db.scan("secure")).length, 1);
        db.close();
        const plain = admin.replace(";tls=true", "");
        await assertRejectsCode(
          () => connect(plain, { connectTimeoutMs: 500, timeoutMs: 500 }),
          "unavailable",
        );
      }, (config) => {
        config.tls = { certFile: `${certDir}/cert.pem`, keyFile: `${certDir}/key.pem` };
      });
    } finally {
      await Deno.remove(certDir, { recursive: true });
    }
  },
});
