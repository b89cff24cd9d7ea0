// Purpose-bound reads: a former customer's data opens only for a purpose and a reference
// (X-Access-Purpose, X-Access-Reference). The API says 403 PURPOSE_REQUIRED without them; the
// console then asks for both, and sends them with the reads of that checkpoint until the tab closes
// (kept in memory only). Every such read is an entry of the data access log.
import { ApiError } from "./api.js";
import { field, h, notice, select } from "./dom.js";

const stated = new Map(); // checkpoint id -> {purpose, reference}
const LABELS = { regulatory_request: "Regulatory request", legal_claim: "Legal claim", audit_sample: "Audit sample",
  law_enforcement_request: "Law-enforcement request", data_subject_request: "Data subject's request" };

export function purposeHeaders(checkpointId) {
  const given = stated.get(checkpointId);
  return given ? { "X-Access-Purpose": given.purpose, "X-Access-Reference": given.reference } : {};
}

export function purposeRequired(error) {
  return error instanceof ApiError && error.code === "PURPOSE_REQUIRED";
}

// `load(headers)` reads the checkpoint's data; on PURPOSE_REQUIRED the person is asked why, and
// `retry()` shows the page again with the purpose given.
export async function withPurpose(checkpointId, view, load, retry) {
  try {
    return await load(purposeHeaders(checkpointId));
  } catch (error) {
    if (!purposeRequired(error)) throw error;
    stated.delete(checkpointId);
    view.append(prompt(checkpointId, error, retry));
    return null;
  }
}

function prompt(checkpointId, error, retry) {
  const allowed = (error.fields.find((f) => f.field === "header.X-Access-Purpose")?.reason ?? "")
    .replace(/^must be one of /, "").split(", ").filter(Boolean);
  const reference = h("input", { id: "access-reference", name: "reference", required: true, maxlength: 200,
    autocomplete: "off" });
  const form = h("form", { class: "purpose" },
    notice("error", h("strong", {}, "A former customer. "), error.message),
    field("Purpose", select("access-purpose", allowed.map((p) => [p, LABELS[p] ?? p]), allowed[0])),
    field("Reference", reference, "The request, claim or sample this read answers, e.g. the regulator's reference. "
      + "It is kept in the data access log with your name."),
    h("button", { type: "submit" }, "Open the record"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new FormData(form);
    stated.set(checkpointId, { purpose: chosen.get("access-purpose"), reference: chosen.get("reference").trim() });
    retry();
  });
  return form;
}
