// Checkpoint timeline (compliance): the real Step Functions history drawn state by state, with
// durations, task result codes, retries, failures, the wait for review and the decisions.
import { getJson } from "./api.js";
import { KINDS, at, badge, duration, field, h, table, when } from "./dom.js";

export async function showTimelineLookup({ view, navigate }) {
  const input = h("input", { id: "checkpoint-id", name: "checkpoint-id", required: true, pattern: "cp_[0-9a-f]{32}",
    autocomplete: "off", spellcheck: "false", size: 40 });
  const form = h("form", { class: "filters" }, field("Checkpoint id", input, "cp_ followed by 32 hexadecimal digits"),
    h("button", { type: "submit" }, "Show timeline"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(`#/checkpoints/${input.value.trim()}/timeline`);
  });
  view.append(h("p", {}, "Open a checkpoint's execution. Timelines are also linked from reviews and executions."), form);
}

export async function showTimeline({ view }, checkpointId) {
  const [history, checkpoint] = await Promise.all([
    getJson(`/v1/checkpoints/${checkpointId}/history`), getJson(`/v1/checkpoints/${checkpointId}`)]);
  const end = Date.parse(history.stopped_at ?? new Date().toISOString());
  const start = Date.parse(history.started_at);
  const reviewStates = new Set(history.events.filter((event) => event.waiting).map((event) => event.state));
  view.append(
    h("dl", { class: "summary" },
      h("dt", {}, "Checkpoint"), h("dd", { class: "mono" }, checkpointId),
      h("dt", {}, "Kind"), h("dd", {}, KINDS[history.kind] ?? history.kind),
      h("dt", {}, "Checkpoint status"), h("dd", {}, badge(checkpoint.status),
        checkpoint.plan ? [" · ", h("a", { href: `#/checkpoints/${checkpointId}` }, "closure plan")] : ""),
      h("dt", {}, "Execution"), h("dd", {}, badge(history.status), ` started ${when(history.started_at)}`,
        history.stopped_at ? `, ran ${duration(history.duration_ms)}` : `, running for ${duration(end - start)}`),
      h("dt", {}, "AWS console"), h("dd", {}, history.console_url
        ? h("a", { href: history.console_url, rel: "noreferrer", target: "_blank" }, "This execution in the Step Functions console")
        : "Not deployed: the local stack has no AWS console page.")),
    h("h3", {}, "States"),
    h("ol", { class: "timeline" }, history.states.map((visit) => stateItem(visit, start, end, reviewStates))),
    checkpoint.review?.decisions.length ? decisions(checkpoint.review.decisions) : "",
    h("details", {}, h("summary", {}, `Every event (${history.events.length})`), events(history.events)));
}

function stateItem(visit, start, end, reviewStates) {
  const entered = Date.parse(visit.entered_at);
  const left = visit.exited_at ? Date.parse(visit.exited_at) : end;
  const span = Math.max(end - start, 1);
  const bar = h("span", { class: `bar ${visit.errors.length ? "failed" : visit.exited_at ? "" : "open"}` });
  bar.style.marginLeft = `${((entered - start) / span) * 100}%`;
  bar.style.width = `${Math.max(((left - entered) / span) * 100, 0.5)}%`;
  const waiting = !visit.exited_at && reviewStates.has(visit.state);
  return h("li", { class: visit.errors.length ? "failed" : "" },
    h("div", { class: "state" }, h("strong", {}, visit.state), h("small", {}, ` ${visit.type}`)),
    h("div", { class: "track", "aria-hidden": "true" }, bar),
    h("div", { class: "facts" },
      `+${duration(entered - start)} · `,
      visit.exited_at ? `took ${duration(visit.duration_ms)}` : waiting
        ? h("strong", {}, `waiting for a review decision for ${duration(end - entered)}`) : `still in it after ${duration(end - entered)}`,
      visit.attempts > 1 ? ` · ${visit.attempts} attempts (${visit.attempts - 1} ${visit.attempts === 2 ? "retry" : "retries"})` : "",
      visit.result ? [" · result ", resultText(visit.result)] : "",
      visit.errors.length ? [" · ", h("strong", { class: "error-text" }, `errors: ${visit.errors.join(", ")}`)] : ""));
}

function resultText(result) {
  return Object.entries(result).map(([name, value]) => `${name} ${Array.isArray(value) ? value.join(", ") || "none" : value}`).join("; ");
}

function decisions(list) {
  return table("Review decisions", ["Level", "Outcome", "Decided"], list.map((d) => [String(d.level), d.outcome, at(d.decided_at)]));
}

function events(list) {
  return table("Execution history events", ["#", "Time", "Event", "State", "Result or error"], list.map((event) => [
    String(event.id), at(event.at), event.type, event.state ?? "—",
    event.error ? `${event.error}: ${event.cause}` : event.result ? resultText(event.result) : event.waiting ?? ""]));
}
