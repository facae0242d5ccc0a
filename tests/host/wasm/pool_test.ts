/**
 * InstancePool with real QuickJS instances: a warm instance is reused under sequential load, the
 * pool never holds more than POOL_INSTANCES_MAX instances in use or being created (requests past it
 * wait in line and get the next released one), a waiter whose deadline passes gets `unavailable`,
 * a broken instance is replaced, and close() wakes every waiter.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import type { GuestInstance } from "../../../host/guest/guest.ts";
import { InstancePool, POOL_INSTANCES_MAX } from "../../../host/guest/pool.ts";
import { ServiceInstance } from "../../../host/wasm/runtime.ts";

const BUNDLE =
  `globalThis.__planck_handle = (json) => JSON.stringify({ status: 200, headers: [], body: "ok" });`;
const pool = () => new InstancePool(() => ServiceInstance.create(BUNDLE, { memoryBytes: 24 * 1024 * 1024 }));

Deno.test("InstancePool reuses one warm instance for sequential requests", async () => {
  const p = pool();
  await p.warm(1);
  for (let i = 0; i < 5; i++) p.release(await p.acquire());
  assertEquals(p.stats().created, 1);
  await p.close();
});

Deno.test("InstancePool holds at most POOL_INSTANCES_MAX busy; the next request waits for a release", async () => {
  const p = pool();
  const held: GuestInstance[] = [];
  for (let i = 0; i < POOL_INSTANCES_MAX; i++) held.push(await p.acquire());
  assertEquals(p.stats().busy, POOL_INSTANCES_MAX);
  let handed: GuestInstance | undefined;
  const waiting = p.acquire(Date.now() + 10_000).then((instance) => handed = instance);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assertEquals([handed, p.stats().waiting], [undefined, 1], "the request past the cap waits");
  p.release(held[3]);
  await waiting;
  assertEquals(handed, held[3], "the released instance goes straight to the waiter");
  assertEquals([p.stats().busy, p.stats().created, p.stats().waited], [
    POOL_INSTANCES_MAX,
    POOL_INSTANCES_MAX,
    1,
  ]);
  for (const instance of held.filter((h) => h !== handed)) p.release(instance);
  p.release(handed!);
  await p.close();
});

Deno.test("InstancePool: a waiter past its deadline gets unavailable; a broken release lets a waiter create", async () => {
  const p = pool();
  const held: GuestInstance[] = [];
  for (let i = 0; i < POOL_INSTANCES_MAX; i++) held.push(await p.acquire());
  let error: unknown;
  try {
    await p.acquire(Date.now() + 30);
  } catch (e) {
    error = e;
  }
  assert(error instanceof PlanckError && error.code === "unavailable", `got ${error}`);
  assertEquals(p.stats().waiting, 0, "the timed-out waiter left the line");

  const waiting = p.acquire(Date.now() + 10_000);
  // A broken instance is disposed; its slot goes to the waiter, which creates a fresh instance.
  const broken = held[0] as ServiceInstance;
  await broken.call("__missing", "", { deadlineMs: Date.now() + 1_000 }).catch(() => {});
  assert(broken.broken, "calling a function the bundle lacks breaks the instance");
  p.release(broken);
  const fresh = await waiting;
  assert(!held.includes(fresh), "a new instance");
  assertEquals([p.stats().busy, p.stats().discarded], [POOL_INSTANCES_MAX, 1]);
  for (const instance of [fresh, ...held.slice(1)]) p.release(instance);
  await p.close();
});

Deno.test("InstancePool.close wakes waiters, which then fail", async () => {
  const p = pool();
  const held: GuestInstance[] = [];
  for (let i = 0; i < POOL_INSTANCES_MAX; i++) held.push(await p.acquire());
  const waiting = p.acquire(Date.now() + 10_000).then(() => "acquired", (e) => String(e));
  await p.close();
  assert((await waiting).includes("closed pool"), await waiting);
  for (const instance of held) p.release(instance);
});
