// A closure's page (compliance): the plan the customer sees, as it stands: the steps and when each is
// expected, when each access ends, the final settlement, the linked services to move, the notice a
// bank-initiated closure gives, and what happens to the data afterwards.
import { getJson } from "./api.js";
import { at, badge, checkpointLink, h, notice, table } from "./dom.js";
import { withPurpose } from "./purpose.js";

const STEP_NAMES = { documents: "Documents", rescreen: "Re-screen and exit-risk checks", review: "Compliance review",
  win_back: "Offer to stay", notice_period: "Notice period", settlement: "Final settlement", close: "Closure",
  export: "Data export" };
const OUTCOMES = { pay_out: "paid out", owed: "owed to the bank", nil: "nothing to settle", withheld: "withheld (frozen)",
  to_surviving_holders: "stays with the surviving holders", to_basic_account: "moved to the basic account" };

// A former customer's plan opens for a purpose (asked for, then logged).
export async function showClosure(context, checkpointId) {
  const { view, fail } = context;
  const body = h("div", {});
  view.append(body);
  const show = async () => {
    body.replaceChildren();
    const checkpoint = await withPurpose(checkpointId, body, (headers) => getJson(`/v1/checkpoints/${checkpointId}`,
      undefined, headers), () => show().catch((error) => body.append(fail(error))));
    if (checkpoint) plainPlan(body, checkpoint);
  };
  await show();
}

function plainPlan(view, checkpoint) {
  const plan = checkpoint.plan;
  if (!plan) {
    view.append(notice("info", "This checkpoint has no closure plan (a sign-up, or a closure started before plans existed)."));
    return;
  }
  view.append(
    summary(checkpoint, plan),
    table("Steps", ["Step", "Status", "Expected by", "Done", "What it is"], plan.steps.map((step) => [
      STEP_NAMES[step.name] ?? step.name, badge(step.status), at(step.expected_by), at(step.done_at), step.detail])),
    plan.notice ? table(`Notice given ${plan.notice.given_at.slice(0, 10)}, ends ${plan.notice.ends_at.slice(0, 10)}`,
      ["Account", "Rules of", "Type", "Opened", "Rule", "Notice", "Ends", "Source"], plan.notice.accounts.map((t) => [
        t.account_id, t.jurisdiction, t.account_type, day(t.opened_on), t.rule, t.period, at(t.ends_at),
        h("small", {}, t.source)])) : "",
    table("When access ends", ["What", "Id", "Ends", "Then"], plan.access_ends.map((a) => [
      a.kind.replace("_", " "), a.id, a.ends_at ? at(a.ends_at) : "does not end",
      a.read_only_until ? `${a.what} (statements readable until ${a.read_only_until})` : a.what])),
    plan.final_settlement ? table("Final settlement (balance + accrued interest − fees due)",
      ["Account", "Balance", "Interest", "Fees", "Settlement", "Outcome", "Paid to"], plan.final_settlement.map((s) => [
        s.account_id, money(s.balance, s.currency), money(s.accrued_interest, s.currency), money(s.fees_due, s.currency),
        h("strong", {}, money(s.amount, s.currency)), OUTCOMES[s.outcome] ?? s.outcome, s.payout_iban ?? "—"])) : "",
    plan.linked_services ? services(plan.linked_services) : "",
    plan.succession ? succession(plan.succession) : "",
    table("Data after closure", ["Records", "Kept until", "Then", "Rule"], plan.data_after_closure.map((d) => [
      d.what, d.kept_until ? day(d.kept_until) : "while the relationship continues", d.then, h("span", { title: d.source }, d.rule)])));
}

function summary(checkpoint, plan) {
  const reason = plan.reason
    ? [`${plan.reason.label} (${plan.reason.code})`,
      plan.reason.withheld ? h("strong", {}, " · withheld from the customer (tipping-off)") : "",
      plan.reason.stated_reason ? [h("br"), h("small", {}, `Told to the customer: ${plan.reason.stated_reason}`)] : ""]
    : "Not shown";
  const rows = [
    ["Checkpoint", h("span", { class: "mono" }, checkpoint.checkpoint_id)],
    ["Status", h("span", { id: "closure-status" }, badge(checkpoint.status))],
    ["Where it stands", h("span", { id: "plan-summary" }, plan.summary)],
    ["Requested", [at(plan.requested_at), ` by the ${plan.requested_by}`]],
    ["Reason", reason],
    ["Closing", at(plan.close_by)],
    ["Soft exit", plan.soft_exit === "none" ? "none" : plan.soft_exit.replace("_", " ")],
    plan.win_back ? ["Offer to stay", `${plan.win_back.description}${plan.win_back.answer ? ` (answer: ${plan.win_back.answer})` : ""}`] : null,
    ["Timeline", checkpointLink(checkpoint.checkpoint_id, "the execution, state by state")],
  ].filter(Boolean);
  return h("dl", { class: "summary" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function money(amount, currency) {
  return `${amount} ${currency}`;
}

// A date (YYYY-MM-DD) that does not wrap in a table cell.
function day(value) {
  return value ? h("time", { datetime: value }, value) : "—";
}

function services(list) {
  if (!list.length) return notice("info", "No linked service listed or found in the history.");
  return table("Linked services", ["Kind", "Counterparty", "Found", "Every", "Last seen", "Next expected", "Amount",
    "What to do"], list.map((s) => [
    s.type.replace("_", " "), s.counterparty, s.source === "both" ? "listed and in the history"
      : s.source === "detected" ? "in the history" : "listed by the channel", s.cadence ?? "—", day(s.last_seen),
    day(s.next_expected), s.typical_amount ? money(s.typical_amount, s.currency) : "—",
    [s.what_to_do, s.switching ? [h("br"), h("small", {}, s.switching)] : ""]]));
}

function succession(plan) {
  return h("section", {}, h("h3", {}, "Succession"),
    h("p", {}, `Documents: ${plan.documents.map((d) => d.replace("_", " ")).join(", ")}.`),
    plan.passes_to_surviving_holders.length
      ? h("p", {}, "Passing to the surviving holders: ", plan.passes_to_surviving_holders.map((a) =>
        `${a.account_id} (${a.other_holders.join(", ")})`).join("; "), ".") : "",
    h("p", {}, h("small", {}, plan.disclosure)));
}
