// Monitoring runs (compliance): every re-screen of the customer base, newest first, with its
// progress as the shards' own rows report it (customers screened of the total, alerts opened,
// the shards that failed, by name). The alerts themselves are in the review queue.
import { getJson } from "./api.js";
import { at, badge, h, notice, paged, table } from "./dom.js";

const PAGE_SIZE = 20;

function progress(run) {
  const total = run.customers_total ?? "?";
  return `${run.customers_screened} of ${total}` + (run.shards_total ? ` (${run.shards_done}/${run.shards_total} shards)` : "");
}

function kind(run) {
  if (run.mode !== "delta") return `full (${run.trigger})`;
  return `delta: ${run.entries} entries of ${run.list_source} ${run.list_version}`;
}

function failed(run) {
  if (run.failure) return run.failure;
  return run.failed_shards.map((s) => `${s.shard_id}: ${s.customers} customers, ${s.error}`).join("; ") || "none";
}

export async function showMonitoring({ view, fail }) {
  view.append(h("p", {}, "Each run re-screens the customers (every list in force, or a published version's new " +
    "entries) through the monitoring workflow; its alerts wait in the ", h("a", { href: "#/reviews" }, "review queue"), "."));
  view.append(await paged(async (cursor) => {
    const page = await getJson("/v1/monitoring/runs", { limit: PAGE_SIZE, cursor });
    const content = page.items.length
      ? table(`Monitoring runs, newest first (${page.items.length} on this page)`,
        ["Run", "Kind", "Status", "Started", "Screened", "Alerts opened", "Failed shards"], page.items.map((r) => [
          r.run_id, kind(r), badge(r.status), at(r.started_at),
          progress(r), String(r.alerts_opened), failed(r)]))
      : notice("info", "No monitoring run yet.");
    return { content, next: page.next };
  }, fail));
}
