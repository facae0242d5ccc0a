import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { applyYaml, CONFIG_KEYS, defaultConfig, loadConfig } from "../../host/config.ts";
import { FRAME_BYTES_DEFAULT, WIRE_PORT_DEFAULT } from "../../host/limits.ts";

async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_config_" });
  try {
    await Deno.writeTextFile(`${dir}/planck.yaml`, text);
    await fn(`${dir}/planck.yaml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadConfig without a file gives the documented defaults", async () => {
  const config = await loadConfig();
  assertEquals(config.dataDir, "data");
  assertEquals(config.bind, "127.0.0.1");
  assertEquals(config.ports, { wire: WIRE_PORT_DEFAULT, http: 3000, workbench: 2369 });
  assertEquals(config.durability, "sync");
  assertEquals(config.limits.frameBytes, FRAME_BYTES_DEFAULT);
  assertEquals(config.tls, { certFile: null, keyFile: null });
});

Deno.test("loadConfig reads every key from YAML, sizes with units, and flags win over the file", async () => {
  const yaml = `
data_dir: /srv/planck
bind: 0.0.0.0
ports: { wire: 4000, http: 4001, workbench: 4002 }
durability: interval:50
wal_segment_bytes: 8 MiB
memtable_bytes: 1048576
tls:
  cert_file: /etc/cert.pem
  key_file: /etc/key.pem
limits:
  frame_bytes: 1 MiB
  connections: 10
  in_flight_per_connection: 4
  unauthenticated_per_address: 7
security: { lockout_failures: 3, lockout_base_ms: 10, lockout_max_ms: 100 }
shutdown: { drain_timeout_ms: 0 }
`;
  await withFile(yaml, async (file) => {
    const config = await loadConfig({
      file,
      overrides: [{ key: "ports.wire", value: "0", flag: "--wire-port" }],
    });
    assertEquals(config.dataDir, "/srv/planck");
    assertEquals(config.bind, "0.0.0.0");
    assertEquals(config.ports, { wire: 0, http: 4001, workbench: 4002 });
    assertEquals(config.durability, "interval:50");
    assertEquals(config.walSegmentBytes, 8 * 1024 * 1024);
    assertEquals(config.memtableBytes, 1048576);
    assertEquals(config.tls, { certFile: "/etc/cert.pem", keyFile: "/etc/key.pem" });
    assertEquals(config.limits, {
      frameBytes: 1024 * 1024,
      connections: 10,
      inFlightPerConnection: 4,
      unauthenticatedPerAddress: 7,
      httpBodyTimeoutMs: 30_000,
    });
    assertEquals(config.security, { lockoutFailures: 3, lockoutBaseMs: 10, lockoutMaxMs: 100 });
    assertEquals(config.shutdown.drainTimeoutMs, 0);
  });
});

/** Bad inputs and the key (and line) their error must name. */
const BAD: { yaml: string; field: string; says: string }[] = [
  { yaml: "limits:\n  frame_byts: 10\n", field: "limits.frame_byts", says: "line 2" },
  { yaml: "port: 1\n", field: "port", says: "Unknown config key" },
  { yaml: "ports:\n  wire: 70000\n", field: "ports.wire", says: "0 to 65535" },
  { yaml: "ports:\n  wire: abc\n", field: "ports.wire", says: "line 2" },
  { yaml: "durability: fast\n", field: "durability", says: "interval" },
  { yaml: "bind: my-host\n", field: "bind", says: "IP address" },
  { yaml: "limits:\n  frame_bytes: 12 parsecs\n", field: "limits.frame_bytes", says: "MiB" },
  { yaml: "limits:\n  connections: 0\n", field: "limits.connections", says: "from 1" },
  { yaml: "limits: 5\n", field: "limits", says: "mapping" },
  { yaml: "tls:\n  cert_file: /a.pem\n", field: "tls.key_file", says: "required" },
  { yaml: "ports: { wire: 5000, http: 5000 }\n", field: "ports.http", says: "both 5000" },
  {
    yaml: "security: { lockout_base_ms: 10, lockout_max_ms: 5 }\n",
    field: "security.lockout_base_ms",
    says: "exceeds",
  },
];

for (const bad of BAD) {
  Deno.test(`loadConfig rejects ${JSON.stringify(bad.yaml)} naming "${bad.field}"`, async () => {
    await withFile(bad.yaml, async (file) => {
      const error = await assertRejectsCode(() => loadConfig({ file }), "invalid_argument", bad.says);
      assertEquals(error.location?.field, bad.field, error.message);
      assert(error.message.includes(`"${bad.field}"`), error.message);
    });
  });
}

Deno.test("loadConfig names the flag of a bad override and reports YAML syntax errors with a line", async () => {
  const error = await assertRejectsCode(
    () => loadConfig({ overrides: [{ key: "ports.http", value: "x", flag: "--http-port" }] }),
    "invalid_argument",
    "--http-port",
  );
  assertEquals(error.location?.field, "ports.http");
  await withFile("bind: [unclosed\n", async (file) => {
    await assertRejectsCode(() => loadConfig({ file }), "invalid_argument", "line");
  });
  await assertRejectsCode(
    () => loadConfig({ file: "/no/such/planck.yaml" }),
    "invalid_argument",
    "Cannot read",
  );
});

Deno.test("applyYaml accepts an empty file and null sections", () => {
  const config = defaultConfig();
  applyYaml(config, "", "empty.yaml");
  applyYaml(config, "tls:\n", "null.yaml");
  assertEquals(config, defaultConfig());
});

Deno.test("docs/configuration.md documents every config key", async () => {
  const docs = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  for (const spec of CONFIG_KEYS) {
    assert(docs.includes(`\`${spec.key}\``), `docs/configuration.md lacks ${spec.key}`);
  }
});
