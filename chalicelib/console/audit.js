// Audit logs (auditor): the retention, export, clearance and data access logs filtered by date, downloaded as CSV or JSON
// lines with the chain head to verify them offline, and the hash chain's verification stated plainly.
import { call, getJson } from "./api.js";
import { at, field, h, notice, paged, select, table } from "./dom.js";

const LOGS = [["retention", "Retention log"], ["export", "Export log"], ["clearance", "Clearance log"],
  ["data-access", "Data access log"]];
const PAGE_SIZE = 50;
const DOWNLOAD_PAGE_SIZE = 10000; // the API's largest page
const DAY_MS = 86400000;

export async function showAudit({ view, params, navigate, fail }) {
  const chosen = { log: LOGS.some(([name]) => name === params.get("log")) ? params.get("log") : "retention",
    from: params.get("from") || "", to: params.get("to") || "" };
  const form = h("form", { class: "filters" },
    field("Log", select("log", LOGS, chosen.log)),
    field("From (UTC, inclusive)", h("input", { id: "from", name: "from", type: "date", value: chosen.from })),
    field("To (UTC, inclusive)", h("input", { id: "to", name: "to", type: "date", value: chosen.to })),
    h("button", { type: "submit" }, "Apply filters"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(`#/audit?${new URLSearchParams([...new FormData(form)].filter(([, value]) => value))}`);
  });
  const bounds = {
    from: chosen.from ? `${chosen.from}T00:00:00Z` : "",
    to: chosen.to ? new Date(Date.parse(`${chosen.to}T00:00:00Z`) + DAY_MS).toISOString() : "",
  };
  const downloaded = h("div", { "aria-live": "polite" });
  const fileName = [`${chosen.log}-log`, chosen.from && `from-${chosen.from}`, chosen.to && `to-${chosen.to}`].filter(Boolean).join("_");
  const downloadButton = (format, label) => h("button", {
    type: "button", onclick: () => download(chosen.log, bounds, format, `${fileName}.${format}`, downloaded, fail) }, label);
  view.append(
    form,
    h("h3", {}, "Chain verification"),
    await verification(chosen.log, fail),
    h("h3", {}, "Download"),
    h("p", {}, "Every entry between the dates, with the chain head at the time of download to verify the file offline."),
    h("div", { class: "actions" }, downloadButton("csv", "Download CSV"), downloadButton("jsonl", "Download JSON lines")),
    downloaded,
    h("h3", {}, "Entries"),
    await paged(async (cursor) => {
      const response = await call(logPath(chosen.log), { params: { ...bounds, format: "jsonl", limit: PAGE_SIZE, cursor } });
      const entries = (await response.text()).split("\n").filter(Boolean).map((line) => JSON.parse(line));
      const content = entries.length
        ? table(`${LOGS.find(([name]) => name === chosen.log)[1]}, oldest first (${entries.length} on this page)`,
          ["#", "Time", "Event", "Subject", "Details", "Hash"], entries.map(entryRow))
        : notice("info", "No entries between these dates.");
      return { content, next: response.headers.get("X-Next-Cursor") };
    }, fail));
}

function logPath(log) {
  return `/v1/audit/${log}-log`;
}

// The whole chain, recomputed by the API: valid, or the first entry that does not verify.
async function verification(log, fail) {
  try {
    const result = await getJson("/v1/audit/verify", { log });
    if (!result.valid) {
      return notice("error", h("strong", {}, `Chain broken at entry #${result.first_broken}: `),
        `${result.reason}. The ${result.checked} entries before it verify.`);
    }
    return notice("success", h("strong", {}, "Chain valid: "), result.checked
      ? `all ${result.checked} entries verify; the last is #${result.head_sequence} (hash ${result.head_hash}).`
      : "the log has no entries yet.");
  } catch (error) {
    return fail(error);
  }
}

function entryRow(entry) {
  return [String(entry.sequence), at(entry.at), entry.event, h("span", { class: "mono" }, entry.subject),
    Object.entries(entry.details).map(([name, value]) => `${name}: ${value}`).join(" · ") || "—",
    h("span", { class: "hash", title: entry.hash }, `${entry.hash.slice(0, 10)}…`)];
}

async function download(log, bounds, format, name, status, fail) {
  status.replaceChildren(notice("info", "Preparing the download…"));
  try {
    const parts = [];
    let cursor = null;
    let head = null;
    do {
      const response = await call(logPath(log), { params: { ...bounds, format, limit: DOWNLOAD_PAGE_SIZE, cursor } });
      const text = await response.text();
      parts.push(format === "csv" && parts.length ? text.slice(text.indexOf("\n") + 1) : text); // one header row
      head ??= { sequence: response.headers.get("X-Chain-Head-Sequence"), hash: response.headers.get("X-Chain-Head-Hash") };
      cursor = response.headers.get("X-Next-Cursor");
    } while (cursor);
    const link = h("a", { href: URL.createObjectURL(new Blob(parts, { type: format === "csv" ? "text/csv" : "application/x-ndjson" })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    status.replaceChildren(notice("success", `Downloaded ${name}. Chain head at download: entry #${head.sequence}, hash ${head.hash}.`));
  } catch (error) {
    status.replaceChildren(fail(error));
  }
}
