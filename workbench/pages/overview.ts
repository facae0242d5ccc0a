/**
 * Overview: health, version, uptime, rates and engine state, with inline-SVG charts of the last
 * minutes; the cards block is re-sent over SSE (`/overview/stream`, event "metrics") on every sample.
 */
import type { WorkbenchParts } from "../../host/server/workbench_hook.ts";
import { PLANCK_VERSION } from "../../host/version.ts";
import { formatBytes, formatDuration, type Html, html, raw } from "../html.ts";
import type { ReplicationView } from "../replication.ts";
import type { Sample, Sampler } from "../sampler.ts";

function sparkline(values: number[]): Html {
  if (values.length < 2) return html`<svg viewBox="0 0 100 40" aria-hidden="true"></svg>`;
  const max = Math.max(...values, 1e-9);
  const points = values.map((v, i) =>
    `${(i / (values.length - 1) * 100).toFixed(1)},${(38 - v / max * 36).toFixed(1)}`
  );
  return raw(
    `<svg viewBox="0 0 100 40" preserveAspectRatio="none" aria-hidden="true"><polyline points="${
      points.join(" ")
    }"/></svg>`,
  );
}

function card(label: string, value: string, series?: number[]): Html {
  return html`<div class="card"><div class="label">${label}</div><div class="value">${value}</div>${
    series === undefined ? html`` : sparkline(series)
  }</div>`;
}

/** Bytes of the WAL segments on disk (a bounded list: the database keeps few segments). */
function walBytes(parts: WorkbenchParts): number {
  let total = 0;
  for (const segment of parts.db.walSegments()) {
    try {
      total += Deno.statSync(segment.path).size;
    } catch {
      // rotated away meanwhile
    }
  }
  return total;
}

/** Role and lag: a primary's replicas with the largest lag, or a replica's lag behind its primary. */
function replicationCard(parts: WorkbenchParts): Html {
  const status = parts.replication?.status() as ReplicationView | undefined;
  if (status === undefined) return html``;
  if (status.replica !== undefined) {
    const r = status.replica;
    return card(
      `Replica of ${r.primary}`,
      `${r.connected ? "" : "disconnected · "}lag ${r.lagLsn} LSN / ${r.lagMs} ms`,
    );
  }
  const replicas = status.replicas ?? [];
  const lag = replicas.reduce((m, r) => Math.max(m, r.lagMs), 0);
  return card(
    `Replication (${status.role})`,
    replicas.length === 0
      ? "no replicas"
      : `${replicas.length} replica${replicas.length === 1 ? "" : "s"} · max lag ${lag} ms`,
  );
}

const fixed = (n: number) => n < 10 ? n.toFixed(1) : Math.round(n).toString();

/** The live cards (the SSE payload and the first render). */
export function overviewCards(parts: WorkbenchParts, sampler: Sampler): Html {
  const s = parts.db.stats();
  const t = s.tiers;
  const series = (pick: (x: Sample) => number) => sampler.samples.map(pick);
  const last = sampler.samples.at(-1);
  const vlogRatio = t.vlogBytes > 0 ? t.vlogDeadBytes / t.vlogBytes : 0;
  const hits = t.treeCacheHits ?? 0;
  const misses = t.treeCacheMisses ?? 0;
  const disk = (t.vlogBytes ?? 0) + (t.treeFileBytes ?? 0) + walBytes(parts);
  const health = parts.db.durableLsn >= 0 ? "ok" : "degraded";
  return html`
    <div class="cards" id="cards">
      ${card("Health", health)}
      ${card("Version", PLANCK_VERSION)}
      ${card("Uptime", formatDuration(Date.now() - parts.startedMs))}
      ${card("Requests/s", fixed(last?.requestsPerS ?? 0), series((x) => x.requestsPerS))}
      ${card("Writes/s (WAL records)", fixed(last?.writesPerS ?? 0), series((x) => x.writesPerS))}
      ${card("fsyncs/s", fixed(last?.syncsPerS ?? 0), series((x) => x.syncsPerS))}
      ${card("Group commit size (records/fsync)", fixed(last?.groupSize ?? 0), series((x) => x.groupSize))}
      ${card("Memtable", formatBytes(s.memtableBytes), series((x) => x.memtableBytes))}
      ${card("Frozen memtables / flushes", `${s.frozenMemtables} / ${s.flushes}`)}
      ${card("Last / durable LSN", `${s.lastLsn} / ${s.durableLsn}`)}
      ${card("Checkpoint LSN", String(t.checkpointLsn ?? 0))}
      ${card("WAL segments", String(s.walSegments))}
      ${card("Value log dead ratio", `${(vlogRatio * 100).toFixed(1)} %`)}
      ${card(
        "Page cache hit rate",
        hits + misses === 0 ? "–" : `${(hits / (hits + misses) * 100).toFixed(1)} %`,
      )}
      ${card("Disk (value log + tree + WAL)", formatBytes(disk))}
      ${card("Stores", String(s.stores))}
      ${card("Services", String(parts.services.list().length))}
      ${replicationCard(parts)}
      </div>
    <p class="muted">Sampled every 2 s; charts show the last ${sampler.samples.length} samples.
      Replicas and their lag: <a href="/replication">Replication</a>.</p>
  `;
}

/** The overview screen's main content. */
export function overviewMain(parts: WorkbenchParts, sampler: Sampler): Html {
  return html`<div hx-ext="sse" sse-connect="/overview/stream" sse-swap="metrics">${
    overviewCards(parts, sampler)
  }</div>`;
}

/** `GET /overview/stream`: an SSE stream of the cards after every sample. */
export function overviewStream(parts: WorkbenchParts, sampler: Sampler, onClose: () => void): Response {
  const encoder = new TextEncoder();
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = () => {
        const data = overviewCards(parts, sampler).text.replaceAll("\n", " ");
        try {
          controller.enqueue(encoder.encode(`event: metrics\ndata: ${data}\n\n`));
        } catch {
          stop();
        }
      };
      const unsubscribe = sampler.subscribe(send);
      let stopped = false;
      stop = () => {
        if (stopped) return;
        stopped = true;
        unsubscribe();
        onClose();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      // The stream ends when the browser goes away (cancel) or a write fails; request.signal is
      // not used because Deno aborts it once a response has started (legacy behavior).
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
  });
}
