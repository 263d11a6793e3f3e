// The Program page: calls for everyone; a partner's proposals, a reviewer's desk and an officer's
// review board, as tabs chosen by the visitor's role. Deep links: ?tab=NAME, ?call=ID, ?proposal=ID.
import { api, h, mount, session, hasRole, notice } from "./app.js";
import {
  RESOURCES, modalityLabel, phaseBadge, when, facts, resourceTable, fill, callsInto,
} from "./program-common.js";
import { partnerPanel } from "./program-partner.js";
import { reviewerPanel } from "./program-reviewer.js";
import { officerPanel } from "./program-officer.js";
import { newCallForm } from "./program-calls.js";

const params = new URLSearchParams(location.search);

/** Keep the page's state in the address (so a reload or a shared link opens the same view). */
export function setParams(changes) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  history.replaceState(null, "", url);
}

// --- calls (everyone) ---------------------------------------------------------------------------

let callsCache = null;

export async function loadCalls() {
  if (!callsCache) callsCache = api("/calls", { query: { limit: 200 } }).then((page) => page.items);
  try {
    return await callsCache;
  } catch (error) {
    callsCache = null;
    throw error;
  }
}

function callDetail(call, onWrite) {
  const modalities = h("ul", { class: "plain" }, call.modalities.map((m) => h("li", {}, modalityLabel(m))));
  const eligible = call.eligible_countries.length >= 190
    ? `${call.eligible_countries.length} countries (all UN member states)`
    : call.eligible_countries.join(", ");
  return h("section", { class: "card stack call-detail", "aria-labelledby": `call-${call.id}-title`, tabindex: "-1" },
    h("h3", { id: `call-${call.id}-title` }, call.title, " ", phaseBadge(call)),
    facts([
      ["Call id", h("code", {}, call.id)],
      ["Opens", when(call.opens_at)],
      ["Deadline", when(call.closes_at)],
      ["Modalities", modalities],
      ["Eligible", eligible],
    ]),
    h("h4", {}, "Resource envelope (the whole call)"),
    resourceTable(`Resource envelope of ${call.title}`, call.envelope),
    call.open_now && hasRole("partner") && onWrite
      ? h("div", { class: "actions" }, h("button", { class: "button", type: "button", onclick: () => onWrite(call) }, "Write a proposal to this call"))
      : null);
}

/** Officers publish calls from here: the form, folded away unless there is no call yet. */
function callCreation(panel, open) {
  if (!hasRole("program_officer", "admin")) return null;
  return h("details", { class: "card new-call", open },
    h("summary", {}, "Publish a new call"),
    newCallForm((call) => {
      callsCache = null;
      setParams({ call: call.id });
      callsPanel(panel, { onWrite: null });
    }));
}

async function callsPanel(panel, { onWrite }) {
  const calls = await callsInto(panel, loadCalls,
    () => [notice("info", "No call for proposals has been published yet."), callCreation(panel, true)]);
  if (!calls) return;
  const detail = h("div", { class: "call-detail-slot" });
  const show = (call) => {
    fill(detail, callDetail(call, onWrite));
    setParams({ call: call.id });
    detail.firstChild.focus();
  };
  const sorted = [...calls].sort((a, b) => (b.open_now - a.open_now) || b.closes_at.localeCompare(a.closes_at));
  const rows = sorted.map((call) => h("tr", {},
    h("th", { scope: "row" }, h("button", { class: "link-button", type: "button", onclick: () => show(call) }, call.title),
      h("div", { class: "muted small" }, h("code", {}, call.id))),
    h("td", {}, phaseBadge(call)),
    h("td", {}, when(call.closes_at)),
    h("td", {}, call.modalities.map(modalityLabel).join("; ")),
    h("td", { class: "num" }, RESOURCES.filter((r) => call.envelope[r.name]?.amount)
      .map((r) => `${call.envelope[r.name].amount} ${r.unit}`).join(", ") || "—")));
  fill(panel,
    h("p", { class: "muted" }, "Every call of the cooperation program. Times are in UTC; the relative time is from your clock."),
    h("div", { class: "table-wrap" }, h("table", { class: "data calls-table" },
      h("caption", { class: "visually-hidden" }, "Calls for proposals"),
      h("thead", {}, h("tr", {}, ["Call", "Status", "Deadline", "Modalities", "Envelope"].map((t, i) =>
        h("th", { scope: "col", class: i === 4 ? "num" : null }, t)))),
      h("tbody", {}, rows))),
    detail,
    callCreation(panel, false));
  const wanted = params.get("call");
  const initial = calls.find((c) => c.id === wanted);
  if (initial) fill(detail, callDetail(initial, onWrite));
}

// --- tabs ---------------------------------------------------------------------------------------

const tabs = [{ id: "calls", label: "Calls" }];
if (hasRole("partner")) tabs.push({ id: "mine", label: "My proposals" });
if (hasRole("reviewer")) tabs.push({ id: "review", label: "My reviews" });
if (hasRole("program_officer", "admin")) tabs.push({ id: "officer", label: "Review and selection" });

const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Program sections" });
const panels = {};
const buttons = {};
const loaded = {};

function renderers() {
  return {
    calls: (panel) => callsPanel(panel, { onWrite: (call) => { select("mine", true); partner?.newProposal(call.id); } }),
    mine: (panel) => partner?.start(panel),
    review: (panel) => reviewerPanel(panel),
    officer: (panel) => officerPanel(panel, { loadCalls, setParams, params }),
  };
}

let partner = null;

function select(id, focus = false) {
  for (const t of tabs) {
    const on = t.id === id;
    buttons[t.id].setAttribute("aria-selected", String(on));
    buttons[t.id].tabIndex = on ? 0 : -1;
    panels[t.id].hidden = !on;
  }
  if (focus) buttons[id].focus();
  setParams({ tab: tabs.length > 1 ? id : null });
  if (!loaded[id]) {
    loaded[id] = true;
    renderers()[id](panels[id]);
  }
}

for (const t of tabs) {
  buttons[t.id] = h("button", {
    type: "button", role: "tab", id: `tab-${t.id}`, "aria-controls": `panel-${t.id}`, "aria-selected": "false",
    tabindex: "-1", onclick: () => select(t.id),
  }, t.label);
  panels[t.id] = h("section", { role: "tabpanel", id: `panel-${t.id}`, "aria-labelledby": `tab-${t.id}`, tabindex: "0", class: "program-panel", hidden: true });
  tablist.append(buttons[t.id]);
}

tablist.addEventListener("keydown", (event) => {
  const index = tabs.findIndex((t) => buttons[t.id] === document.activeElement);
  if (index < 0) return;
  let next = null;
  if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
  else if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = tabs.length - 1;
  if (next === null) return;
  event.preventDefault();
  select(tabs[next].id, true);
});

if (hasRole("partner")) partner = partnerPanel({ loadCalls, setParams, params, selectTab: (id) => select(id, true) });

const intro = session
  ? null
  : notice("info", "Anyone can read the calls. Partners, reviewers and program officers: ",
    h("a", { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, "log in"),
    " to see your proposals and reviews.");

mount(intro, tablist, tabs.map((t) => panels[t.id]));

// The first tab: ?tab=..., else the proposal deep link's section, else the role's own section.
const wantedTab = params.get("tab");
let first = tabs.find((t) => t.id === wantedTab)?.id;
if (!first && params.get("proposal")) first = hasRole("partner") ? "mine" : hasRole("program_officer", "admin") ? "officer" : null;
if (!first && params.get("proposal") && !session) {
  panels.calls.before(notice("warning", "This link opens a proposal: ",
    h("a", { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, "log in"),
    " as its partner or as a program officer to see it."));
}
if (!first) first = params.get("call") ? "calls" : (tabs[1] || tabs[0]).id;
select(first);
