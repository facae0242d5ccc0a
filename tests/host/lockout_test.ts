import { assertEquals } from "../_util/assert.ts";
import { Lockout } from "../../host/lockout.ts";

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => t += ms };
}

Deno.test("Lockout locks after the failure threshold and doubles per further failure up to the cap", () => {
  const time = clock();
  const lockout = new Lockout({ failures: 5, baseMs: 1000, maxMs: 5000, now: time.now });
  const who = ["user:admin", "addr:10.0.0.1"];
  for (let i = 0; i < 4; i++) lockout.fail(who);
  assertEquals(lockout.lockedForMs(who), 0);
  lockout.fail(who);
  assertEquals(lockout.lockedForMs(who), 1000);
  lockout.fail(who);
  assertEquals(lockout.lockedForMs(who), 2000);
  lockout.fail(who);
  assertEquals(lockout.lockedForMs(who), 4000);
  lockout.fail(who);
  assertEquals(lockout.lockedForMs(who), 5000);
  time.advance(5000);
  assertEquals(lockout.lockedForMs(who), 0);
});

Deno.test("Lockout tracks users and addresses separately, and success clears both", () => {
  const time = clock();
  const lockout = new Lockout({ failures: 2, baseMs: 100, maxMs: 1000, now: time.now });
  lockout.fail(["user:a", "addr:1"]);
  lockout.fail(["user:b", "addr:1"]);
  assertEquals(lockout.lockedForMs(["user:c", "addr:1"]), 100, "the address is locked");
  assertEquals(lockout.lockedForMs(["user:a", "addr:2"]), 0, "user a alone is not");
  lockout.succeed(["user:c", "addr:1"]);
  assertEquals(lockout.lockedForMs(["addr:1"]), 0);
});

Deno.test("Lockout forgets failures older than the longest lockout", () => {
  const time = clock();
  const lockout = new Lockout({ failures: 2, baseMs: 100, maxMs: 1000, now: time.now });
  lockout.fail(["user:a"]);
  time.advance(1001);
  lockout.fail(["user:a"]);
  assertEquals(lockout.lockedForMs(["user:a"]), 0);
});
