// Executions (compliance): a workflow's executions, newest first, filtered by status and start
// date, paginated. The filters live in the address (#/executions?workflow=…) so a view can be shared.
import { getJson } from "./api.js";
import { at, badge, checkpointLink, duration, field, h, notice, paged, select, table } from "./dom.js";

const PAGE_SIZE = 20;
const WORKFLOWS = [["onboarding", "Sign-ups (onboarding)"], ["offboarding", "Closures (offboarding)"]];
const STATUSES = [["", "Any"], ["RUNNING", "Running"], ["SUCCEEDED", "Succeeded"], ["FAILED", "Failed"],
  ["TIMED_OUT", "Timed out"], ["ABORTED", "Aborted"]];

export async function showExecutions({ view, params, navigate, fail }) {
  const chosen = { workflow: params.get("workflow") || "onboarding", status: params.get("status") || "",
    since: params.get("since") || "" };
  const since = h("input", { id: "since", name: "since", type: "date", value: chosen.since });
  const form = h("form", { class: "filters" },
    field("Workflow", select("workflow", WORKFLOWS, chosen.workflow)),
    field("Status", select("status", STATUSES, chosen.status)),
    field("Started on or after (UTC)", since),
    h("button", { type: "submit" }, "Apply filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, value]) => value));
    navigate(`#/executions?${query}`);
  });
  view.append(form, await paged(async (cursor) => {
    const page = await getJson("/v1/executions", { workflow: chosen.workflow, status: chosen.status,
      since: chosen.since ? `${chosen.since}T00:00:00Z` : "", limit: PAGE_SIZE, cursor });
    const content = page.items.length
      ? table(`Executions, newest first (${page.items.length} on this page)`,
        ["Checkpoint", "Status", "Started", "Stopped", "Duration"], page.items.map((e) => [
          checkpointLink(e.checkpoint_id), badge(e.status), at(e.started_at), at(e.stopped_at),
          e.stopped_at ? duration(Date.parse(e.stopped_at) - Date.parse(e.started_at)) : "running"]))
      : notice("info", "No executions match these filters.");
    return { content, next: page.next };
  }, fail));
}
