import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { formatConnectionString, parseConnectionString } from "../../client/mod.ts";

Deno.test("parseConnectionString reads address, user, key and options", () => {
  assertEquals(parseConnectionString("127.0.0.1:23469;uid=admin;key=abc=def"), {
    hostname: "127.0.0.1",
    port: 23469,
    user: "admin",
    key: "abc=def",
    tls: false,
  });
  assertEquals(
    parseConnectionString(" db.local ; UID=app ; key=k ; tls=true ; ca=/ca.pem ; timeout=500 \n"),
    {
      hostname: "db.local",
      port: 23469,
      user: "app",
      key: "k",
      tls: true,
      caFile: "/ca.pem",
      timeoutMs: 500,
    },
  );
  assertEquals(parseConnectionString("[::1]:9000;uid=a;key=b").hostname, "::1");
});

Deno.test("formatConnectionString is the inverse of parseConnectionString", () => {
  for (
    const text of [
      "127.0.0.1:23469;uid=admin;key=9N7m-Ux3G6TV0ImwX9XOmcSP3NPrDYB0NDpqc3lKTKE",
      "[::1]:1;uid=a;key=b;tls=true;ca=/x.pem;timeout=10",
    ]
  ) {
    assertEquals(formatConnectionString(parseConnectionString(text)), text);
  }
});

const BAD = [
  "",
  ";uid=a;key=b",
  "h:0;uid=a;key=b",
  "h:99999;uid=a;key=b",
  "h:1;key=b",
  "h:1;uid=a",
  "h:1;uid=a;key=b;x=1",
  "h:1;uid=a;key=b;tls=maybe",
  "[::1;uid=a;key=b",
  "h:1;uid=a;key=b;timeout=-1",
  "h:1;junk",
];

for (const text of BAD) {
  Deno.test(`parseConnectionString rejects ${JSON.stringify(text)} without quoting the key`, async () => {
    const error = await assertRejectsCode(() => parseConnectionString(text), "invalid_argument");
    assert(!error.message.includes("key=b"), error.message);
  });
}
