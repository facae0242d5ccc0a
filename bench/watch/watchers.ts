/**
 * The watch benchmark's watchers, in their own process so that their client-side work (decoding
 * and iterating every event) does not run on the writers' event loop (bench/watch/main.ts starts
 * it). Opens `--count` watches of `--store` over `--connections` wire connections, each consuming
 * every event.
 *
 *   deno run -A bench/watch/watchers.ts --admin=CONN --store=NAME [--count=100] [--connections=10]
 *
 * stdout: `ready` once every watch is open; when stdin ends, the number of events received, then
 * it exits.
 */
import { connect, type PlanckClient } from "../../mod.ts";
import { flag } from "../lib/run_facts.ts";

const admin = flag("admin")!;
const store = flag("store")!;
const count = Number(flag("count") ?? 100);
const connections = Number(flag("connections") ?? 10);

const clients: PlanckClient[] = await Promise.all(Array.from({ length: connections }, () => connect(admin)));
let received = 0;
const iterators: AsyncIterableIterator<unknown>[] = [];
const loops: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const events = clients[i % connections].store(store).watch();
  iterators.push(events);
  loops.push(
    (async () => {
      for await (const _ of events) received++;
    })().catch(() => {}),
  );
}
await new Promise((resolve) => setTimeout(resolve, 300)); // let every watch open
console.log("ready");
for await (const _ of Deno.stdin.readable) { /* until stdin ends */ }
for (const it of iterators) await it.return?.();
for (const client of clients) client.close();
await Promise.all(loops);
console.log(String(received));
Deno.exit(0);
