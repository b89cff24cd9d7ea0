// Review queue (compliance): open reviews oldest first and why each is there; one review with its
// checkpoint and the decision form.
import { getJson, postJson } from "./api.js";
import { KINDS, at, badge, checkpointLink, duration, field, h, notice, paged, table, when } from "./dom.js";

const PAGE_SIZE = 20;
const SETTLE_POLLS = 40; // after a decision, how often to look for the workflow's new status
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const queued = new Map(); // checkpoint id -> its queue item as last loaded (the explanation)

export async function showQueue({ view, fail }) {
  view.append(
    h("p", {}, "Checkpoints waiting for a person's decision, sign-ups and closures together, oldest first."),
    await paged(async (cursor) => {
      const queue = await getJson("/v1/reviews", { status: "open", limit: PAGE_SIZE, cursor });
      queue.items.forEach((item) => queued.set(item.checkpoint_id, item));
      const content = queue.items.length
        ? table(`Open reviews (${queue.items.length}${queue.next ? " on this page" : ""})`,
          ["Waiting", "Kind", "Level", "Why it is here", "Checkpoint"], queue.items.map(queueRow))
        : notice("info", "No open reviews.");
      return { content, next: queue.next };
    }, fail));
}

function queueRow(item) {
  return [
    h("span", { title: `in review since ${when(item.in_review_since)}` },
      item.age_seconds < 60 ? `${item.age_seconds} s` : duration(item.age_seconds * 1000)),
    KINDS[item.kind] ?? item.kind,
    item.level > 1 ? `${item.level} (escalated)` : String(item.level),
    why(item.reasons, item.explanation),
    h("a", { href: `#/reviews/${item.checkpoint_id}`, class: "mono" }, item.checkpoint_id),
  ];
}

// The reasons, explained: screening matches with their scores, fraud signals with the other
// sign-ups they point at, the customer risk rating with its factors, or exit-risk flags with evidence.
const EXPLAINED = {
  screening: (part) => part.matches.map(matchItem),
  fraud: (part) => part.signals.map(signalItem),
  risk: (part) => [ratingItem(part.rating)],
  exit_risk: (part) => part.flags.map(flagItem),
};

function why(reasons, explanation = []) {
  const explained = explanation.flatMap((part) => (EXPLAINED[part.step] ?? (() => []))(part));
  if (explained.length) return h("ul", { class: "why" }, explained);
  return h("ul", { class: "why" }, reasons.map((r) => h("li", {}, h("strong", {}, r.code), r.detail ? ` ${r.detail}` : "")));
}

function matchItem(match) {
  const s = match.name_scores;
  const alias = match.matched_name === match.primary_name ? "" : `, listed as “${match.primary_name}”`;
  return h("li", {},
    h("strong", {}, `${match.band.toUpperCase()} ${match.score.toFixed(2)}`),
    ` ${match.source} entry ${match.source_id}: matched “${match.matched_name}” (${match.name_kind}${alias})`,
    h("br"),
    `name ${s.name.toFixed(2)} = token pairs ${s.token_pairs.toFixed(2)}, token sort ${s.token_sort.toFixed(2)}, `
      + `token set ${s.token_set.toFixed(2)} (${s.tokens_paired} of ${s.listed_tokens} listed tokens paired)`,
    match.adjustments.map((a) => [h("br"), `${a.factor} ${a.delta >= 0 ? "+" : "−"}${Math.abs(a.delta).toFixed(2)}: ${a.detail}`]),
    h("br"),
    h("small", {}, `rule: ${match.rule} · list version ${match.list_version} · subject ${match.subject}`));
}

function flagItem(flag) {
  const evidence = Object.entries(flag.evidence).map(([name, value]) => `${name.replace(/_/g, " ")}: ${evidenceText(value)}`)
    .join(" · ");
  return h("li", {}, h("strong", {}, flag.code), ` ${flag.detail}`, evidence ? [h("br"), h("small", {}, evidence)] : "");
}

function signalItem(signal) {
  const evidence = signal.evidence.map((e) => `${e.attribute}: ${e.checkpoint_ids.join(", ")}`
    + (e.count ? ` (${e.count} in ${e.window_minutes} min)` : "") + (e.distance != null ? ` (${e.distance} bits)` : ""));
  return h("li", {}, h("strong", {}, `${signal.code} (${signal.verdict})`), signal.detail ? ` ${signal.detail}` : "",
    evidence.length ? [h("br"), h("small", {}, `other sign-ups: ${evidence.join(" · ")}`)] : "");
}

function ratingItem(rating) {
  return h("li", {}, h("strong", {}, `Risk ${rating.level.toUpperCase()} (score ${rating.score})`),
    rating.factors.map((f) => [h("br"), `${f.code} +${f.weight}${f.detail ? `: ${f.detail}` : ""}`,
      h("small", {}, ` (${f.source})`)]));
}

// Evidence values are text, numbers, lists of ids or per-currency amounts ({"EUR": "25000.00"}).
function evidenceText(value) {
  if (Array.isArray(value)) return value.join(", ");
  if (value && typeof value === "object") return Object.entries(value).map(([key, amount]) => `${key} ${amount}`).join(", ");
  return ISO_TIME.test(String(value)) ? when(value) : String(value);
}

export async function showReview({ view, fail }, checkpointId) {
  const checkpoint = await getJson(`/v1/checkpoints/${checkpointId}`);
  const item = queued.get(checkpointId);
  const outcome = h("div", { class: "outcome" });
  view.append(
    summary(checkpoint),
    h("h3", {}, "Why it is in review"),
    why(checkpoint.review?.reasons ?? [], item?.explanation),
    steps(checkpoint),
    checkpoint.review?.decisions.length ? earlierDecisions(checkpoint.review.decisions) : "",
    outcome);
  if (checkpoint.status === "IN_REVIEW" && checkpoint.review?.awaiting_decision) {
    outcome.append(decisionForm(checkpoint, outcome, fail));
  } else {
    outcome.append(notice("info", "This checkpoint is not waiting for a decision; its status is ", badge(checkpoint.status), "."));
  }
}

function summary(checkpoint) {
  const rows = [
    ["Checkpoint", h("span", { class: "mono" }, checkpoint.checkpoint_id)],
    ["Kind", KINDS[checkpoint.kind] ?? checkpoint.kind],
    ["Status", h("span", { id: "checkpoint-status" }, badge(checkpoint.status))],
    ["Started", at(checkpoint.created_at)],
    ["Review level", checkpoint.review ? String(checkpoint.review.level) : "—"],
    ["Lists used", Object.entries(checkpoint.list_versions ?? {}).map(([list, version]) => `${list} ${version}`).join(", ") || "—"],
    ["Timeline", checkpointLink(checkpoint.checkpoint_id, "the execution, state by state")],
    checkpoint.plan ? ["Closure plan", h("a", { href: `#/checkpoints/${checkpoint.checkpoint_id}` },
      "steps, dates, settlement and linked services")] : null,
  ].filter(Boolean);
  return h("dl", { class: "summary" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function steps(checkpoint) {
  return table("Checks", ["Step", "Verdict", "Codes", "Finished"], checkpoint.steps.map((step) => [
    step.name, badge(step.verdict),
    step.reasons.map((r) => r.code).join(", ") || "—", at(step.finished_at)]));
}

function earlierDecisions(decisions) {
  return table("Decisions so far", ["Level", "Outcome", "Decided"],
    decisions.map((d) => [String(d.level), d.outcome, at(d.decided_at)]));
}

function decisionForm(checkpoint, outcome, fail) {
  const choices = [["approve", "Approve"], ["reject", "Reject"], ["escalate", "Escalate to a second officer"]];
  const reason = h("textarea", { id: "reason", name: "reason", rows: 3, required: true, minlength: 3, maxlength: 1000 });
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "decision" },
    h("fieldset", {},
      h("legend", {}, "Decision"),
      choices.map(([value, label]) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "outcome", value, required: true }), ` ${label}`))),
    field("Reason (required, kept with the decision)", reason),
    h("button", { type: "submit" }, "Record decision"),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.replaceChildren(notice("info", "Recording the decision…"));
    try {
      const chosen = new FormData(form).get("outcome");
      await postJson(`/v1/reviews/${checkpoint.checkpoint_id}/decision`, { outcome: chosen, reason: reason.value });
      queued.delete(checkpoint.checkpoint_id);
      const settled = await settle(checkpoint.checkpoint_id);
      document.getElementById("checkpoint-status")?.replaceChildren(badge(settled.status));
      outcome.replaceChildren(notice("success", `Decision recorded (${chosen}). The checkpoint is now `,
        badge(settled.status), ". ", h("a", { href: "#/reviews" }, "Back to the queue")));
      outcome.querySelector("a").focus();
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(fail(error));
    }
  });
  return form;
}

// The workflow resumes after the decision; wait (briefly) for the checkpoint's next status.
async function settle(checkpointId) {
  let checkpoint;
  for (let poll = 0; poll < SETTLE_POLLS; poll += 1) {
    checkpoint = await getJson(`/v1/checkpoints/${checkpointId}`, { wait: 2 });
    if (checkpoint.status !== "IN_REVIEW" && checkpoint.status !== "RUNNING") return checkpoint;
    if (checkpoint.review?.awaiting_decision) return checkpoint; // escalated: a new review waits
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return checkpoint;
}
