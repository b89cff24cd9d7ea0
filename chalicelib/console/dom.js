// Building the page from plain values. Text is always set as text, never parsed as HTML, so
// nothing the API returns can become markup or script.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// A page's heading, focusable so that keyboard and screen-reader users land on it.
export function heading(text) {
  return h("h2", { tabindex: "-1", id: "page-title" }, text);
}

export function notice(kind, ...content) {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, ...content);
}

export function table(caption, columns, rows) {
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, column)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}

export function field(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control,
    hint ? h("small", { id: hintId }, hint) : null);
}

export function select(id, options, chosen) {
  return h("select", { id, name: id },
    options.map(([value, label]) => h("option", { value, selected: value === chosen }, label)));
}

export function badge(status) {
  return h("span", { class: `badge status-${String(status).toLowerCase()}` }, status);
}

// "2026-11-23T15:31:46.590Z" -> "2026-11-23 15:31:46 UTC"
export function when(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : "—";
}

// The same, as a <time> element that does not wrap in a table cell.
export function at(iso) {
  return iso ? h("time", { datetime: iso }, when(iso)) : "—";
}

// Milliseconds as a person reads them: 840 ms, 1.3 s, 4 min 12 s, 2 h 5 min, 3 d 4 h.
export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const [minutes, hours, days] = [Math.floor(seconds / 60), Math.floor(seconds / 3600), Math.floor(seconds / 86400)];
  if (hours < 1) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  if (days < 1) return `${hours} h ${minutes % 60} min`;
  return `${days} d ${hours % 24} h`;
}

export function checkpointLink(checkpointId, text) {
  return h("a", { href: `#/checkpoints/${checkpointId}/timeline`, class: text ? null : "mono" }, text ?? checkpointId);
}

export const KINDS = { onboarding: "Sign-up", offboarding: "Closure", monitoring: "Monitoring alert" };

// A list the API pages with a cursor: `load(cursor)` gives {content, next}; Previous/Next walk it.
export async function paged(load, fail) {
  const container = h("div", { class: "paged" });
  const cursors = [null]; // the cursor of every page shown so far; the last one is on screen
  async function show() {
    try {
      const { content, next } = await load(cursors.at(-1));
      const previous = cursors.length > 1
        ? h("button", { type: "button", onclick: () => { cursors.pop(); show(); } }, "Previous page") : null;
      const following = next
        ? h("button", { type: "button", onclick: () => { cursors.push(next); show(); } }, "Next page") : null;
      container.replaceChildren(content, previous || following ? h("div", { class: "pages" }, previous, following) : "");
    } catch (error) {
      container.replaceChildren(fail(error));
    }
  }
  await show();
  return container;
}
