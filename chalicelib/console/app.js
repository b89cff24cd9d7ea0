// The console: sign-in, the pages each role may see, and what a person is told when the API says no.
import { ApiError, getJson } from "./api.js";
import { showAudit } from "./audit.js";
import { showClosure } from "./closure.js";
import { h, heading, notice } from "./dom.js";
import { showExecutions } from "./executions.js";
import { showMonitoring } from "./monitoring.js";
import { showQueue, showReview } from "./reviews.js";
import * as session from "./session.js";
import { showTimeline, showTimelineLookup } from "./timeline.js";

const CHECKPOINT_ID = "(cp_[0-9a-f]{32})";
const PAGES = [
  { path: /^reviews$/, title: "Review queue", role: "compliance", show: showQueue, nav: "#/reviews" },
  { path: /^my-cases$/, title: "My cases", role: "compliance", show: (context) => showQueue(context, true), nav: "#/my-cases" },
  { path: new RegExp(`^reviews/${CHECKPOINT_ID}$`), title: "Review", role: "compliance", show: showReview },
  { path: /^timeline$/, title: "Checkpoint timeline", role: "compliance", show: showTimelineLookup, nav: "#/timeline" },
  { path: new RegExp(`^checkpoints/${CHECKPOINT_ID}/timeline$`), title: "Checkpoint timeline", role: "compliance", show: showTimeline },
  { path: new RegExp(`^checkpoints/${CHECKPOINT_ID}$`), title: "Closure plan", role: "compliance", show: showClosure },
  { path: /^executions$/, title: "Executions", role: "compliance", show: showExecutions, nav: "#/executions" },
  { path: /^monitoring$/, title: "Monitoring runs", role: "compliance", show: showMonitoring, nav: "#/monitoring" },
  { path: /^audit$/, title: "Audit logs", role: "auditor", show: showAudit, nav: "#/audit" },
];
const ROLE_NAMES = { compliance: "compliance officer", auditor: "auditor" };

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const who = document.getElementById("who");

function signedIn() {
  const token = session.token();
  if (!token) return null;
  try {
    return session.caller(token);
  } catch {
    session.signOut();
    return null;
  }
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// What a failed API call means to the person: signed out (401), not for their role (403), or the
// API's own message. Returns the notice to show.
function fail(error) {
  if (!(error instanceof ApiError)) return notice("error", `Something went wrong: ${error.message}`);
  if (error.status === 401) {
    session.signOut();
    showSignIn("The API did not accept your token (expired, or not issued for this stage). Sign in again.");
    return notice("error", "Signed out.");
  }
  if (error.status === 403 && error.code !== "PURPOSE_REQUIRED") {
    return notice("error", "Your role may not see this. Nothing from it is shown.");
  }
  const fields = error.fields.map((f) => `${f.field} ${f.reason}`).join("; ");
  return notice("error", `${error.message}${fields ? ` (${fields})` : ""} [${error.code}]`);
}

async function route() {
  const caller = signedIn();
  if (!caller) {
    showSignIn();
    return;
  }
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const found = PAGES.map((page) => [page, page.path.exec(path)]).find(([, match]) => match);
  if (!found) {
    location.replace(PAGES.find((page) => page.nav && page.role === caller.role).nav);
    return;
  }
  const [page, match] = found;
  document.title = `${page.title} · checkpoint console`;
  showSession(caller, page);
  const content = h("div", { class: "page", "aria-busy": "true" }, heading(page.title));
  view.replaceChildren(content);
  if (page.role !== caller.role) {
    content.append(notice("error", `This page is for the ${page.role} role; you are signed in as ${ROLE_NAMES[caller.role]}. `
      + "Nothing from it is shown."));
  } else {
    try {
      await page.show({ view: content, caller, params: new URLSearchParams(query), navigate, fail }, ...match.slice(1));
    } catch (error) {
      content.append(fail(error));
    }
  }
  content.removeAttribute("aria-busy");
  if (view.contains(content)) content.querySelector("h2").focus();
}

function showSession(caller, current) {
  nav.replaceChildren(...PAGES.filter((page) => page.nav && page.role === caller.role).map((page) =>
    h("a", { href: page.nav, "aria-current": page.title === current.title ? "page" : null }, page.title)));
  who.replaceChildren(`Signed in as ${caller.subject} (${ROLE_NAMES[caller.role]}) `,
    h("button", { type: "button", onclick: () => { session.signOut(); navigate("#/"); } }, "Sign out"));
  nav.hidden = who.hidden = false;
}

function showSignIn(message) {
  nav.hidden = who.hidden = true;
  nav.replaceChildren();
  document.title = "Sign in · checkpoint console";
  const input = h("textarea", { id: "token", name: "token", rows: 4, required: true, autocomplete: "off",
    spellcheck: "false", "aria-describedby": "token-hint" });
  const refusal = h("div", { "aria-live": "assertive" }, message ? notice("error", message) : "");
  const form = h("form", { class: "sign-in" },
    h("div", { class: "field" }, h("label", { for: "token" }, "Bearer token"), input,
      h("small", { id: "token-hint" }, "Locally: the output of ", h("code", {}, "make token ROLE=compliance"), " or ",
        h("code", {}, "make token ROLE=auditor"), ". Deployed: your ID token from the stage's sign-in. ",
        "It is kept in this browser tab only and forgotten when the tab closes.")),
    h("button", { type: "submit" }, "Sign in"),
    refusal);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = session.withoutScheme(input.value);
    try {
      const caller = session.caller(token);
      session.keep(token);
      await getJson("/v1/lists"); // the API must accept the token too (compliance and auditors may read it)
      navigate(PAGES.find((page) => page.nav && page.role === caller.role).nav);
    } catch (error) {
      session.signOut();
      const text = error instanceof session.SignInRefused ? error.message
        : error instanceof ApiError && error.status === 401 ? "The API did not accept this token (expired, or not issued for this stage)."
          : error instanceof ApiError && error.status === 403 ? "This token's role may not use the console."
            : `The sign-in could not be checked: ${error.message}`;
      refusal.replaceChildren(notice("error", text));
      input.focus();
    }
  });
  view.replaceChildren(h("div", { class: "page" }, heading("Sign in"),
    h("p", {}, "The console is for compliance officers (review queue, timelines, executions) and auditors (audit logs)."),
    form));
  input.focus();
}

window.addEventListener("hashchange", route);
route();
