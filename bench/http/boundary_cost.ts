/**
 * Two per-request costs of the request path measured apart from the rest, in ns per call:
 *
 * 1. entering a wasm export through `WebAssembly.promising` (JSPI: what every guest entry of both
 *    tiers pays, guest_slice.ts) against a direct call followed by an `await`;
 * 2. copying a request's headers into `[name, value]` pairs with `[...headers]` against
 *    `Headers.forEach` (what host/http/request_guard.ts `requestHeaders` uses), on a Headers
 *    object shaped like a browser request's (8 headers).
 *
 *   deno run -A bench/http/boundary_cost.ts [--rounds=5] [--calls=100000]
 *
 * Invariants: each pair is measured interleaved, round by round, so drift hits both alike; the
 * median round is printed. Compare the figures of one run only (the machine is shared).
 */
import binaryen from "binaryen";
import { flag } from "../lib/run_facts.ts";

const rounds = Number(flag("rounds") ?? 5);
const calls = Number(flag("calls") ?? 100_000);

const WAT =
  `(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;
const module = binaryen.parseText(WAT);
const { instance } = await WebAssembly.instantiate(module.emitBinary() as Uint8Array<ArrayBuffer>);
module.dispose();
const add = instance.exports.add as (a: number, b: number) => number;
const promising =
  (WebAssembly as unknown as { promising(fn: unknown): (a: number, b: number) => Promise<number> })
    .promising(add);

const headers = new Headers([
  ["host", "127.0.0.1:8080"],
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"],
  ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["accept-language", "en-US,en;q=0.5"],
  ["accept-encoding", "gzip, deflate, br"],
  ["hx-request", "true"],
  ["cookie", "session=0123456789abcdef; theme=dark"],
  ["connection", "keep-alive"],
]);

function spread(): number {
  return [...headers].length;
}

function forEachCopy(): number {
  const list: [string, string][] = [];
  headers.forEach((value, name) => list.push([name, value]));
  return list.length;
}

/** Median ns per call of each of `fns` (awaited), their rounds interleaved. */
async function compare(fns: (() => unknown)[]): Promise<number[]> {
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r <= rounds; r++) {
    for (let f = 0; f < fns.length; f++) {
      const started = performance.now();
      for (let i = 0; i < calls; i++) await fns[f]();
      if (r > 0) samples[f].push((performance.now() - started) * 1e6 / calls); // round 0 warms up
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

const [direct, entered] = await compare([() => add(1, 2), () => promising(1, 2)]);
const [spreadNs, forEachNs] = await compare([spread, forEachCopy]);
console.log("| cost (ns per call, median of rounds) | one way | the other |");
console.log("| --- | ---: | ---: |");
console.log(
  `| wasm export: direct + await / promising + await | ${direct.toFixed(0)} | ${entered.toFixed(0)} |`,
);
console.log(`| 8 headers: forEach copy / [...headers] | ${forEachNs.toFixed(0)} | ${spreadNs.toFixed(0)} |`);
