// Review queue (compliance): open reviews oldest first, why each is there, who holds it and when it
// is due, filtered by kind, level and holder; one review's case file: the people beside the listed
// entries, the document images, the notes, claim and release, and the decision form.
import { getJson, postJson } from "./api.js";
import { KINDS, at, badge, checkpointLink, duration, field, h, notice, paged, select, table, when } from "./dom.js";
import { purposeHeaders, withPurpose } from "./purpose.js";

const PAGE_SIZE = 20;
const SETTLE_POLLS = 40; // after a decision, how often to look for the workflow's new status
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const FILTERS = {
  kind: [["", "Any kind"], ["onboarding", "Sign-ups"], ["offboarding", "Closures"]],
  level: [["", "Any level"], ["1", "1"], ["2", "2 (escalated)"]],
  assigned: [["", "Anyone's"], ["me", "Held by me"], ["none", "Held by nobody"]],
};

export async function showQueue({ view, params, navigate, fail }, mine = false) {
  const chosen = Object.fromEntries(Object.entries(FILTERS).map(([name, options]) =>
    [name, options.some(([value]) => value === params.get(name)) ? params.get(name) : ""]));
  if (mine) chosen.assigned = "me";
  const form = h("form", { class: "filters" },
    field("Kind", select("kind", FILTERS.kind, chosen.kind)),
    field("Level", select("level", FILTERS.level, chosen.level)),
    mine ? "" : field("Held by", select("assigned", FILTERS.assigned, chosen.assigned)),
    h("button", { type: "submit" }, "Apply filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, value]) => value));
    navigate(`#/${mine ? "my-cases" : "reviews"}${String(query) ? `?${query}` : ""}`);
  });
  view.append(
    h("p", {}, mine ? "The reviews you hold: only you decide them until you release them."
      : "Checkpoints waiting for a person's decision, sign-ups and closures together, oldest first."),
    form,
    await paged(async (cursor) => {
      const queue = await getJson("/v1/reviews", { status: "open", limit: PAGE_SIZE, cursor, ...chosen });
      const content = queue.items.length
        ? table(`Open reviews (${queue.items.length}${queue.next ? " on this page" : ""})`,
          ["Waiting", "Due", "Kind", "Level", "Held by", "Why it is here", "Checkpoint"], queue.items.map(queueRow))
        : notice("info", "No open reviews.");
      return { content, next: queue.next };
    }, fail));
}

function queueRow(item) {
  return [
    h("span", { title: `in review since ${when(item.in_review_since)}` },
      item.age_seconds < 60 ? `${item.age_seconds} s` : duration(item.age_seconds * 1000)),
    [at(item.due_at), item.overdue ? [" ", h("strong", { class: "overdue" }, "overdue")] : ""],
    KINDS[item.kind] ?? item.kind,
    item.level > 1 ? `${item.level} (escalated)` : String(item.level),
    item.assignee ? item.assignee.subject : "nobody",
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

export async function showReview(context, checkpointId) {
  const { view } = context;
  const body = h("div", {});
  view.append(body);
  const show = async () => {
    body.replaceChildren();
    const headers = purposeHeaders(checkpointId);
    const found = await withPurpose(checkpointId, body,
      (given) => getJson(`/v1/reviews/${checkpointId}`, undefined, given), () => show().catch((e) => body.append(context.fail(e))));
    if (found) body.append(h("div", {}, caseFile(found, context, show, headers)));
  };
  await show();
}

function caseFile(file, { caller, fail }, reload, headers) {
  const outcome = h("div", { class: "outcome" });
  if (file.status === "IN_REVIEW" && file.review?.awaiting_decision) {
    outcome.append(decisionForm(file, outcome, fail, headers));
  } else {
    outcome.append(notice("info", "This checkpoint is not waiting for a decision; its status is ", badge(file.status), "."));
  }
  return [
    summary(file),
    caseWork(file, caller, fail, reload),
    h("h3", {}, "Why it is in review"),
    why(file.review?.reasons ?? [], []),
    h("h3", {}, file.subjects.length > 1 ? "The people" : "The person"),
    file.subjects.length ? file.subjects.map(subject) : notice("info", "The bank has no record of the people."),
    file.matches.length ? [h("h3", {}, "Possible matches"), file.matches.map(matchSection)] : "",
    file.exit_risk ? exitRisk(file.exit_risk) : "",
    file.decisions.length ? earlierDecisions("Decisions so far", file.decisions) : "",
    file.clearances.length ? table("Matches cleared for these people", ["Entry", "List", "Cleared by", "When", "Status", "Reason"],
      file.clearances.map((c) => [`${c.source} ${c.entry_id}`, c.list_version, c.granted_by, at(c.granted_at), c.status, c.reason]))
      : "",
    file.earlier_checkpoints.length ? table("Earlier checkpoints of the same customer", ["Checkpoint", "Kind", "Status", "Started", "Decisions"],
      file.earlier_checkpoints.map((c) => [h("a", { href: `#/reviews/${c.checkpoint_id}`, class: "mono" }, c.checkpoint_id),
        KINDS[c.kind] ?? c.kind, badge(c.status), at(c.created_at),
        c.review_decisions.map((d) => `${d.outcome} by ${d.reviewer}: ${d.reason}`).join("; ") || "—"])) : "",
    notes(file, fail, reload),
    h("h3", {}, "Decision"),
    outcome,
    h("p", {}, h("small", { id: "access-logged" }, `This read is entry #${file.access.log_sequence} of the data access log `
      + `(${file.access.purpose}, reference ${file.access.reference}).`)),
  ];
}

function summary(file) {
  const review = file.review;
  const rows = [
    ["Checkpoint", h("span", { class: "mono" }, file.checkpoint_id)],
    ["Kind", KINDS[file.kind] ?? file.kind],
    ["Status", h("span", { id: "checkpoint-status" }, badge(file.status))],
    ["Started", at(file.created_at)],
    ["Review level", review ? String(review.level) : "—"],
    review ? ["Due", [at(review.due_at), ` (service level ${review.service_level_hours} h)`,
      review.overdue ? [" ", h("strong", { class: "overdue" }, "overdue")] : ""]] : null,
    ["Held by", h("span", { id: "case-holder" }, review?.assignee
      ? `${review.assignee.subject} since ${when(review.assignee.claimed_at)} (lapses ${when(review.assignee.lapses_at)})`
      : "nobody")],
    ["Timeline", checkpointLink(file.checkpoint_id, "the execution, state by state")],
    file.kind === "offboarding" ? ["Closure plan", h("a", { href: `#/checkpoints/${file.checkpoint_id}` },
      "steps, dates, settlement and linked services")] : null,
  ].filter(Boolean);
  return h("dl", { class: "summary" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

// Claim and release: a held case is decided only by its holder.
function caseWork(file, caller, fail, reload) {
  if (!file.review?.awaiting_decision) return "";
  const mine = file.review.assignee?.subject === caller.subject;
  const status = h("div", { "aria-live": "polite" });
  const act = (action) => async (event) => {
    event.target.disabled = true;
    try {
      await postJson(`/v1/reviews/${file.checkpoint_id}/${action}`, {});
      await reload();
    } catch (error) {
      event.target.disabled = false;
      status.replaceChildren(fail(error));
    }
  };
  return h("div", {}, h("div", { class: "actions" },
    mine ? h("button", { type: "button", onclick: act("release") }, "Release it")
      : h("button", { type: "button", onclick: act("claim") }, "Claim this case")), status);
}

const ROLES = { applicant: "Applicant", customer: "Customer", joint_holder: "Joint holder" };
const AGREEMENT = { agrees: "Agrees", differs: "Differs", unknown: "Unknown" };

function subject(person) {
  const address = person.address;
  const rows = [
    ["Name", `${person.given_names} ${person.family_name}`],
    ["Born", person.birth_date],
    ["Nationality", person.nationality],
    ["Address", `${address.line1}, ${address.postal_code} ${address.city}, ${address.country}`],
    ["Contact", `${person.email} · ${person.phone}`],
    ["Document", person.document
      ? `${person.document.type} ${person.document.number} (${person.document.issuing_country}), expires ${person.document.expiry_date}` : "—"],
    ["Relationship", person.relationship + (person.relationship_ended_at ? ` since ${when(person.relationship_ended_at)}` : "")],
    ["Customer", h("span", { class: "mono" }, person.customer_id)],
  ];
  return h("section", { class: "subject", "aria-label": `${person.role.replace("_", " ")} ${person.given_names} ${person.family_name}` },
    h("h4", {}, `${ROLES[person.role] ?? person.role}: ${person.given_names} ${person.family_name}`),
    h("dl", { class: "summary" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    person.images.length ? h("div", { class: "images" }, person.images.map((image) => viewer(person, image)))
      : h("p", {}, h("small", {}, "No document image uploaded.")));
}

// A document image with zoom and rotation (buttons, so the keyboard works); the link lives minutes.
function viewer(person, image) {
  const label = `${person.document?.type ?? "document"} ${image.side}`;
  const img = h("img", { src: image.url, alt: `${label} of ${person.given_names} ${person.family_name}` });
  const state = { zoom: 1, turn: 0 };
  const apply = () => { img.style.transform = `scale(${state.zoom}) rotate(${state.turn}deg)`; };
  const button = (text, name, change) => h("button", { type: "button", "aria-label": `${name} the ${label}`,
    onclick: () => { change(); apply(); } }, text);
  return h("figure", { class: "viewer" },
    h("div", { class: "frame" }, img),
    h("figcaption", {}, `${label} (link valid until ${when(image.expires_at)}) `,
      button("Zoom in", "Zoom in", () => { state.zoom = Math.min(4, state.zoom * 1.5); }),
      button("Zoom out", "Zoom out", () => { state.zoom = Math.max(0.5, state.zoom / 1.5); }),
      button("Rotate", "Rotate", () => { state.turn = (state.turn + 90) % 360; }),
      button("Reset", "Reset", () => { state.zoom = 1; state.turn = 0; })));
}

// The person beside the listed entry, attribute by attribute; a difference is marked in words.
function matchSection(found) {
  const { match, listed } = found;
  return h("section", { class: "match", "aria-label": `${match.source} entry ${match.source_id}` },
    h("h4", {}, `${match.source} entry ${match.source_id}: ${match.primary_name}`),
    h("ul", { class: "why" }, matchItem({ ...match, subject: found.subject })),
    found.comparison.length ? table(`${found.subject} beside ${match.source} entry ${match.source_id}`,
      ["Attribute", "This person", "Listed", "Comparison"], found.comparison.map((c) => [
        c.attribute.replace(/_/g, " "), c.subject ?? "—", c.listed.join("; ") || "—",
        h("span", { class: `agreement ${c.agreement}` }, h("strong", {}, AGREEMENT[c.agreement]), `: ${c.detail}`)]))
      : "",
    listed ? listedEntry(listed) : notice("info", "The list version the screening used can no longer be read."));
}

function listedEntry(listed) {
  const rows = [
    ["Names", listed.names.map((n) => `${n.name} (${n.quality.replace("_", " ")})`).join("; ")],
    ["Born", listed.birth_dates.map((b) => `${b.circa ? "circa " : ""}${b.value} (${b.precision})`).join("; ") || "—"],
    ["Nationalities", listed.nationalities.join("; ") || "—"],
    ["Places of birth", listed.places_of_birth.join("; ") || "—"],
    ["Documents", listed.identifiers.map((i) => `${i.kind} ${i.value}${i.country ? ` (${i.country})` : ""}`).join("; ") || "—"],
    ["Programmes", listed.programmes.join(", ") || "—"],
    ["Remarks", listed.remarks || "—"],
    ["Listed on", listed.listed_on ?? "—"],
    ["List", `${listed.source} version ${listed.list_version}`],
  ];
  return h("details", {}, h("summary", {}, "The listed entry's whole record"),
    h("dl", { class: "summary" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])));
}

function exitRisk(section) {
  return [h("h3", {}, "Exit-risk flags"), h("ul", { class: "why" }, section.flags.map(flagItem)),
    section.transactions.length ? table("The transactions the flags name", ["Id", "Booked", "Amount", "Direction", "Counterparty"],
      section.transactions.map((t) => [h("span", { class: "mono" }, t.transaction_id), at(t.booked_at),
        `${t.amount} ${t.currency}`, t.direction, [t.counterparty.name, t.counterparty.iban ? ` (${t.counterparty.iban})` : ""]]))
      : ""];
}

function notes(file, fail, reload) {
  const text = h("textarea", { id: "note", name: "note", rows: 3, required: true, maxlength: 2000 });
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "note" }, field("New note (kept with the case, never edited)", text),
    h("button", { type: "submit" }, "Add note"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    try {
      await postJson(`/v1/reviews/${file.checkpoint_id}/notes`, { text: text.value });
      await reload();
    } catch (error) {
      form.querySelector("button").disabled = false;
      status.replaceChildren(fail(error));
    }
  });
  return [h("h3", {}, "Notes"),
    file.notes.length ? h("ol", { class: "notes" }, file.notes.map((n) =>
      h("li", {}, h("p", { class: "note-text" }, n.text), h("small", {}, `${n.author}, ${when(n.at)}`))))
      : h("p", {}, "No notes yet."),
    form];
}

function earlierDecisions(caption, decisions) {
  return table(caption, ["Level", "Outcome", "By", "Reason", "Decided"],
    decisions.map((d) => [String(d.level), d.outcome, d.reviewer, d.reason, at(d.decided_at)]));
}

function decisionForm(checkpoint, outcome, fail, headers) {
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
      const settled = await settle(checkpoint.checkpoint_id, headers);
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
async function settle(checkpointId, headers) {
  let checkpoint;
  for (let poll = 0; poll < SETTLE_POLLS; poll += 1) {
    checkpoint = await getJson(`/v1/checkpoints/${checkpointId}`, { wait: 2 }, headers);
    if (checkpoint.status !== "IN_REVIEW" && checkpoint.status !== "RUNNING") return checkpoint;
    if (checkpoint.review?.awaiting_decision) return checkpoint; // escalated: a new review waits
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return checkpoint;
}
