// The Conjunctions page (planners, admins): the stored conjunction events by TCA; one event's miss
// geometry in the station's radial / in-track / cross-track axes, its Pc over time with the
// threshold, every assessment as a table, and its avoidance options; and a form that imports a
// CDM. Reads GET /api/v1/conjunctions, /conjunctions/{id}, /conjunctions/{id}/avoidance and
// POSTs /conjunctions/cdm. The URL keeps the open event (/conjunctions?event=...).
import { api, ApiError, announce, clearProblems, errorNotice, field, fmtUtc, h, mount, notice } from "./app.js";
import { fmtDistance, fmtPc, fmtPcAgainst, fmtSpeed, geometrySvg, hasRtn, pcChartSvg, sourceName } from "./conjunctions-chart.js";

const PAGE_SIZE = 200;
const THRESHOLD = 1e-4;
const MAX_CDM_BYTES = 1_000_000;

const state = { items: [], total: 0, sort: { key: "tca", dir: 1 }, selectedId: null, event: null, request: 0 };

const COLUMNS = [
  { key: "tca", label: "TCA (UTC)", value: (e) => Date.parse(e.tca) },
  { key: "object", label: "Object", value: (e) => (e.secondary.name || "").toLowerCase() + String(e.secondary.catalog_number).padStart(10, "0") },
  { key: "miss", label: "Miss distance", num: true, value: (e) => e.miss_km },
  { key: "pc", label: "Latest Pc", num: true, value: (e) => e.pc },
  { key: "assessments", label: "Assessments", num: true, value: (e) => e.assessments },
];

const objectName = (o) => `${o.name || "unnamed object"} (NORAD ${o.catalog_number})`;
const num = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-GB", { maximumFractionDigits: digits }));

// --- the page's skeleton -------------------------------------------------------------------------

const listStatus = h("p", { class: "muted", id: "events-status", "aria-live": "polite" }, "Loading the events…");
const listHost = h("div", { class: "conj-list" });
const detail = h("section", { class: "card conj-detail", id: "event-detail", "aria-labelledby": "event-title" },
  h("h2", { id: "event-title", tabindex: "-1" }, "Event"),
  h("p", { class: "muted" }, "Select an event in the list to see its miss geometry, its Pc over time and the avoidance options."));
const uploadResult = h("div", { class: "cdm-result", "aria-live": "polite" });

mount(
  h("div", { class: "stack" },
    h("p", { class: "conj-intro" },
      "Close approaches of the station found by screens and by imported Conjunction Data Messages (CDMs). "
      + "Each screen or CDM about the same approach is one assessment of its event. A Pc needs a covariance: "
      + "a CDM's own, or one estimated from the element sets' measured accuracy (marked “estimated”); without one it is “not computed”."),
    h("section", { class: "card", "aria-labelledby": "events-title" },
      h("h2", { id: "events-title" }, "Events"),
      listStatus,
      listHost),
    detail,
    h("section", { class: "card", "aria-labelledby": "cdm-title" },
      h("h2", { id: "cdm-title" }, "Import a CDM"),
      cdmForm(),
      uploadResult)),
);

// --- the list ------------------------------------------------------------------------------------

async function loadEvents({ more = false } = {}) {
  const offset = more ? state.items.length : 0;
  const page = await api("/conjunctions", { query: { limit: PAGE_SIZE, offset } });
  state.items = more ? state.items.concat(page.items) : page.items;
  state.total = page.total;
  renderList();
}

function sorted() {
  const col = COLUMNS.find((c) => c.key === state.sort.key);
  const dir = state.sort.dir;
  return state.items.slice().sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    if (va === null && vb === null) return 0;
    if (va === null) return 1; // "not computed" last either way
    if (vb === null) return -1;
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir || Date.parse(a.tca) - Date.parse(b.tca);
  });
}

function sortBy(key) {
  state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: 1 };
  renderList();
  const col = COLUMNS.find((c) => c.key === key);
  announce(`Sorted by ${col.label}, ${state.sort.dir > 0 ? "ascending" : "descending"}.`);
  listHost.querySelector(`th[data-key="${key}"] button`)?.focus();
}

function renderList() {
  if (!state.items.length) {
    listStatus.textContent = "";
    listHost.replaceChildren(notice("info",
      "No conjunction events are stored yet. They get here when a screen stores the approaches it finds (",
      h("code", {}, "spacehome conjunctions screen"),
      ") or when a CDM is imported (",
      h("code", {}, "spacehome cdm import FILE"),
      ", or the form below)."));
    return;
  }
  const now = Date.now();
  listStatus.textContent = state.total > state.items.length
    ? `${state.items.length} of ${state.total} events are listed.`
    : `${state.total} ${state.total === 1 ? "event" : "events"}. Select one to open it; the column headings sort the list.`;
  const head = h("tr", {}, COLUMNS.map((c) => {
    const current = state.sort.key === c.key;
    return h("th", {
      scope: "col", class: c.num ? "num" : null, dataset: { key: c.key },
      "aria-sort": current ? (state.sort.dir > 0 ? "ascending" : "descending") : null,
    }, h("button", { type: "button", class: "sort-button", onclick: () => sortBy(c.key) },
      c.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, current ? (state.sort.dir > 0 ? " ▲" : " ▼") : "")));
  }));
  const rows = sorted().map((e) => {
    const selected = e.id === state.selectedId;
    const past = Date.parse(e.tca) < now;
    const row = h("tr", { class: selected ? "conj-row is-selected" : "conj-row", "aria-current": selected ? "true" : null, dataset: { eventId: e.id } },
      h("td", {},
        h("button", { type: "button", class: "link-button", onclick: (ev) => { ev.stopPropagation(); openEvent(e.id); } }, fmtUtc(e.tca, { seconds: true })),
        past ? h("span", { class: "badge" }, " passed") : null),
      h("td", {}, objectName(e.secondary)),
      h("td", { class: "num" }, fmtDistance(e.miss_km)),
      h("td", { class: e.pc !== null && e.pc >= THRESHOLD ? "num pc-high" : "num" }, fmtPc(e.pc)),
      h("td", { class: "num" }, String(e.assessments)));
    row.addEventListener("click", () => openEvent(e.id));
    return row;
  });
  listHost.replaceChildren(...[
    h("div", { class: "table-wrap" },
      h("table", { class: "data conj-table" },
        h("caption", { class: "visually-hidden" }, "Conjunction events of the station"),
        h("thead", {}, head),
        h("tbody", {}, rows))),
    state.total > state.items.length
      ? h("div", { class: "actions" }, h("button", { type: "button", class: "button button-quiet button-small", onclick: () => loadEvents({ more: true }).catch(showListError) }, "Show more events"))
      : null].filter(Boolean));
}

function showListError(error) {
  listStatus.textContent = "";
  listHost.replaceChildren(errorNotice(error));
}

// --- one event -----------------------------------------------------------------------------------

async function openEvent(id, { focus = true } = {}) {
  state.selectedId = id;
  const ticket = ++state.request;
  renderList();
  const url = new URL(location.href);
  url.searchParams.set("event", id);
  history.replaceState(null, "", url);
  document.body.dataset.conjunctionRendered = "false";
  detail.setAttribute("aria-busy", "true");
  let event;
  try {
    event = await api(`/conjunctions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (ticket !== state.request) return;
    detail.removeAttribute("aria-busy");
    detail.replaceChildren(h("h2", { id: "event-title", tabindex: "-1" }, "Event"), errorNotice(error));
    return;
  }
  if (ticket !== state.request) return; // a newer selection won
  state.event = event;
  renderEvent(event);
  detail.removeAttribute("aria-busy");
  document.body.dataset.conjunctionRendered = "true";
  announce(`Event ${objectName(event.secondary)} at ${fmtUtc(event.tca)} opened.`);
  if (focus) document.getElementById("event-title").focus();
}

const geometryHost = h("div", { class: "geo-host" });
const pcHost = h("div", { class: "pc-host" });

function renderEvent(e) {
  const facts = [
    ["Primary", objectName(e.primary)],
    ["Secondary", objectName(e.secondary)],
    ["TCA", fmtUtc(e.tca, { seconds: true })],
    ["Miss distance", fmtDistance(e.miss_km)],
    ["Latest Pc", fmtPc(e.pc)],
    ["Assessments", String(e.assessments)],
    ["First seen", fmtUtc(e.first_seen_at)],
    ["Updated", fmtUtc(e.updated_at)],
  ];
  detail.replaceChildren(
    h("h2", { id: "event-title", tabindex: "-1" }, `${objectName(e.secondary)} at ${fmtUtc(e.tca)}`),
    h("dl", { class: "conj-facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", { dataset: { fact: k.toLowerCase().replace(/ /g, "-") } }, v)))),
    h("div", { class: "conj-panels" },
      h("section", { class: "conj-panel", "aria-labelledby": "geometry-title" },
        h("h3", { id: "geometry-title" }, "Miss geometry at the TCA"),
        geometryText(e),
        geometryHost),
      h("section", { class: "conj-panel", "aria-labelledby": "pc-title" },
        h("h3", { id: "pc-title" }, "Pc over time"),
        pcLegend(),
        pcHost,
        h("p", { class: "hint" }, `Each mark is one assessment at the time it was made; the dashed line is the ${fmtPc(THRESHOLD)} threshold. `
          + "An assessment without a covariance has its Pc “not computed” (the row under the axis), never zero."))),
    historyTable(e),
    avoidanceSection(e));
  drawCharts();
}

/** The assessment whose R/T/N are drawn: the latest, or else the newest that has them. */
function drawnGeometry(e) {
  if (hasRtn(e.geometry)) return { g: e.geometry, from: null };
  const older = e.history.slice().reverse().find(hasRtn);
  return older ? { g: older, from: older } : { g: null, from: null };
}

function geometryText(e) {
  const g = e.geometry;
  const latest = e.history[e.history.length - 1];
  const parts = [
    h("p", { class: "geo-miss" }, "Miss distance ", h("strong", { "data-testid": "geometry-miss" }, fmtDistance(g.miss_km)),
      `, relative speed ${g.relative_speed_km_s === null ? "not given" : fmtSpeed(g.relative_speed_km_s)}`,
      ` (latest assessment: ${sourceName(latest)}, ${fmtUtc(latest.assessed_at)}).`),
  ];
  const { g: drawn, from } = drawnGeometry(e);
  if (hasRtn(g)) {
    parts.push(rtnList(g));
  } else if (from) {
    parts.push(h("p", { class: "notice notice-info geo-null" },
      `The latest assessment (${sourceName(latest)}) gives no relative position in the station's radial, in-track and cross-track axes. `
      + `The drawing shows the newest assessment that does: the ${sourceName(from)} of ${fmtUtc(from.assessed_at)} `
      + `(miss ${fmtDistance(from.miss_km)}, relative speed ${fmtSpeed(from.relative_speed_km_s)}).`));
    parts.push(rtnList(drawn));
  } else {
    parts.push(h("p", { class: "notice notice-info geo-null" },
      "No assessment of this event gives the relative position in the station's radial, in-track and cross-track axes "
      + "(a CDM without RELATIVE_POSITION_R/T/N), so the miss vector cannot be drawn; only its length is known."));
  }
  return parts;
}

function rtnList(g) {
  return h("ul", { class: "geo-rtn" },
    h("li", {}, h("span", { class: "geo-key geo-key-r" }, "R"), ` radial ${fmtDistance(g.radial_km, { signed: true })}`),
    h("li", {}, h("span", { class: "geo-key geo-key-t" }, "T"), ` in-track ${fmtDistance(g.in_track_km, { signed: true })}`),
    h("li", {}, h("span", { class: "geo-key geo-key-n" }, "N"), ` cross-track ${fmtDistance(g.cross_track_km, { signed: true })}`));
}

function pcLegend() {
  const mark = (cls, shape) => h("svg", { class: `legend-mark ${cls}`, width: 18, height: 18, viewBox: "0 0 18 18", "aria-hidden": "true" }, shape);
  return h("ul", { class: "conj-legend", "aria-label": "Marks of the Pc chart" },
    h("li", {}, mark("pc-point pc-point-screen", h("circle", { cx: 9, cy: 9, r: 6 })), "screen"),
    h("li", {}, mark("pc-point pc-point-cdm", h("polygon", { points: "9,1 17,9 9,17 1,9" })), "CDM"),
    h("li", {}, mark("pc-point pc-point-screen pc-point-nc", h("circle", { cx: 9, cy: 9, r: 6 })), "not computed (hollow, under the axis)"),
    h("li", {}, mark("", h("line", { class: "pc-threshold", x1: 1, x2: 17, y1: 9, y2: 9 })), `threshold ${fmtPc(THRESHOLD)}`));
}

function drawCharts() {
  const e = state.event;
  if (!e || !detail.isConnected) return;
  const { g } = drawnGeometry(e);
  if (g) {
    const label = `Miss vector of ${objectName(e.secondary)} relative to ${objectName(e.primary)}: radial ${fmtDistance(g.radial_km, { signed: true })}, `
      + `in-track ${fmtDistance(g.in_track_km, { signed: true })}, cross-track ${fmtDistance(g.cross_track_km, { signed: true })}, miss ${fmtDistance(g.miss_km)}.`;
    geometryHost.replaceChildren(geometrySvg(g, geometryHost.clientWidth || 320, { label }));
  } else {
    geometryHost.replaceChildren();
  }
  const points = e.history.map((a) => `${sourceName(a)} assessed ${fmtUtc(a.assessed_at)}: ${fmtPc(a.pc)}`).join("; ");
  pcHost.replaceChildren(pcChartSvg(e.history, pcHost.clientWidth || 320, {
    threshold: THRESHOLD, tca: e.tca,
    label: `Pc of ${e.history.length} assessments on a log scale, threshold ${fmtPc(THRESHOLD)}. ${points}. The table below lists them.`,
  }));
}

function historyTable(e) {
  const cols = ["Assessed (UTC)", "Source", "Hours to TCA", "Miss", "R / T / N", "Relative speed", "Pc", "How the Pc was found"];
  return h("section", { "aria-labelledby": "history-title" },
    h("h3", { id: "history-title" }, "Assessments"),
    h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "history-title" },
      h("table", { class: "data conj-history" },
        h("caption", { class: "visually-hidden" }, "Every assessment of the event, oldest first: the data of the Pc chart"),
        h("thead", {}, h("tr", {}, cols.map((c, i) => h("th", { scope: "col", class: [2, 3, 5, 6].includes(i) ? "num" : null }, c)))),
        h("tbody", {}, e.history.map((a) => h("tr", { dataset: { source: a.source } },
          h("td", {}, fmtUtc(a.assessed_at)),
          h("td", {}, sourceName(a), a.cdm ? h("span", { class: "muted" }, ` (${a.cdm.originator})`) : null),
          h("td", { class: "num" }, num(a.hours_to_tca, 1)),
          h("td", { class: "num" }, fmtDistance(a.miss_km)),
          h("td", {}, hasRtn(a)
            ? `${fmtDistance(a.radial_km, { signed: true })} / ${fmtDistance(a.in_track_km, { signed: true })} / ${fmtDistance(a.cross_track_km, { signed: true })}`
            : "not given"),
          h("td", { class: "num" }, fmtSpeed(a.relative_speed_km_s)),
          h("td", { class: "num" }, a.pc === null ? h("em", {}, "not computed") : fmtPc(a.pc),
            a.pc_estimated ? h("span", { class: "badge badge-warn" }, " estimated") : null),
          h("td", { class: "conj-note" }, pcHow(a))))))));
}

function pcHow(a) {
  const parts = [];
  if (a.pc_method) parts.push(a.pc_method);
  if (a.pc_note) parts.push(a.pc_note);
  if (a.cdm && a.cdm.stated_pc !== null && a.cdm.stated_pc !== undefined) parts.push(`the CDM states ${fmtPc(a.cdm.stated_pc)}`);
  if (a.cdm && a.cdm.primary_sigma_rtn_m) parts.push(`1σ R/T/N: primary ${a.cdm.primary_sigma_rtn_m.map((v) => num(v)).join("/")} m, secondary ${a.cdm.secondary_sigma_rtn_m.map((v) => num(v)).join("/")} m`);
  if (a.element_sets) parts.push(`element sets of ${fmtUtc(a.element_sets.primary_epoch)} and ${fmtUtc(a.element_sets.secondary_epoch)}`);
  return parts.join("; ") || "—";
}

// --- avoidance -----------------------------------------------------------------------------------

function avoidanceSection(e) {
  const status = h("p", { class: "avoid-status", id: "avoid-status", "aria-live": "polite" });
  const result = h("div", { class: "avoid-result" });
  const button = h("button", { type: "button", class: "button", "aria-describedby": "avoid-status" }, "Find avoidance options");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.className = "avoid-status muted";
    status.textContent = "Computing the options…";
    result.replaceChildren();
    try {
      const view = await api(`/conjunctions/${encodeURIComponent(e.id)}/avoidance`, { query: { threshold: THRESHOLD } });
      if (state.event !== e) return;
      status.textContent = "";
      result.replaceChildren(...avoidanceView(view));
      announce(`${view.options.length} avoidance options.`);
    } catch (error) {
      status.className = "avoid-status field-error";
      status.setAttribute("role", "alert");
      status.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "conj-avoid", "aria-labelledby": "avoid-title" },
    h("h3", { id: "avoid-title" }, "Avoidance"),
    h("p", { class: "hint" }, `Along-track burns of the station, one to a few orbits before the TCA, that bring the Pc below ${fmtPc(THRESHOLD)}. `
      + "They need a covariance: import a CDM about the event first."),
    h("div", { class: "actions" }, button, status),
    result);
}

function avoidanceView(v) {
  const b = v.before;
  const out = [
    h("p", {}, `Before: miss ${fmtDistance(b.miss_m / 1000)} (R ${fmtDistance(b.radial_m / 1000, { signed: true })}, T ${fmtDistance(b.in_track_m / 1000, { signed: true })}, `
      + `N ${fmtDistance(b.cross_track_m / 1000, { signed: true })}), Pc ${fmtPcAgainst(b.pc, v.threshold)}. Covariance: ${v.covariance_source}${v.estimated ? " (estimated)" : ""}; `
      + `hard-body radius ${num(v.hard_body_radius_m, 1)} m.`),
    v.manoeuvre_needed
      ? notice("warning", `A manoeuvre is needed: the Pc is at or above the ${fmtPc(v.threshold)} threshold.`)
      : notice("success", `No manoeuvre is needed: the Pc is below the ${fmtPc(v.threshold)} threshold.`),
  ];
  if (!v.options.length) {
    out.push(h("p", {}, "No options were computed."));
    return out;
  }
  out.push(h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Avoidance options" },
    h("table", { class: "data avoid-table" },
      h("caption", { class: "visually-hidden" }, "Avoidance options"),
      h("thead", {}, h("tr", {}, ["Burn (UTC)", "Lead", "Δv (m/s)", "Direction", "New miss", "New Pc"].map((c, i) => h("th", { scope: "col", class: [1, 2, 4, 5].includes(i) ? "num" : null }, c)))),
      h("tbody", {}, v.options.map((o) => h("tr", {},
        h("td", {}, fmtUtc(o.burn_time, { seconds: true })),
        h("td", { class: "num" }, `${num(o.lead_min)} min (${num(o.lead_orbits, 1)} ${o.lead_orbits === 1 ? "orbit" : "orbits"})`),
        o.delta_v_m_s === null
          ? h("td", { class: "num", colspan: 4 }, "none found below the largest Δv tried")
          : [
            h("td", { class: "num" }, num(o.delta_v_m_s, 3)),
            h("td", {}, o.direction || "—"),
            h("td", { class: "num" }, o.after ? fmtDistance(o.after.miss_m / 1000) : "—"),
            h("td", { class: "num" }, o.after ? fmtPcAgainst(o.after.pc, v.threshold) : "—"),
          ]))))));
  out.push(h("p", { class: "hint" }, `Inputs: element sets from the ${v.inputs.element_sets}; covariance ${v.inputs.covariance || "—"}. `
    + "Putting an option into a plan is done with spacehome conjunctions avoid."));
  return out;
}

// --- CDM import ----------------------------------------------------------------------------------

function cdmForm() {
  const form = h("form", { class: "form cdm-form", novalidate: true },
    field({ label: "CDM file (KVN or XML)", name: "cdm", type: "file", accept: ".kvn,.xml,.txt,.cdm,text/plain,application/xml,text/xml", required: true,
      hint: "A CCSDS Conjunction Data Message of up to 1 MB. It is stored as an assessment of its event with the Pc from its own covariances; a CDM imported before (same originator and MESSAGE_ID) is not stored twice." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Import the CDM")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    importCdm(form);
  });
  return form;
}

function fieldProblem(form, input, message) {
  clearProblems(form);
  const id = `${input.id}-error`;
  input.closest(".field").append(h("p", { class: "field-error", id, role: "alert" }, message));
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${id}`.trim());
  input.focus();
}

async function importCdm(form) {
  const input = form.querySelector('input[name="cdm"]');
  const button = form.querySelector('button[type="submit"]');
  clearProblems(form);
  uploadResult.replaceChildren();
  const file = input.files && input.files[0];
  if (!file) return fieldProblem(form, input, "Choose a CDM file first.");
  if (file.size > MAX_CDM_BYTES) return fieldProblem(form, input, `${file.name} is ${num(file.size)} bytes; a CDM may have up to 1 MB.`);
  button.disabled = true;
  try {
    const text = await file.text();
    const r = await api("/conjunctions/cdm", { method: "POST", form: text, headers: { "Content-Type": "text/plain" } });
    const what = r.already_imported
      ? `CDM ${r.message_id} from ${r.originator} was imported before; nothing new was stored.`
      : `Imported CDM ${r.message_id} from ${r.originator}: TCA ${fmtUtc(r.tca, { seconds: true })}, miss ${fmtDistance(r.miss_km)}, `
        + `Pc ${fmtPc(r.pc && r.pc.value)}${r.pc && r.pc.note ? ` (${r.pc.note})` : ""}, stored ${r.new_event ? "as a new event" : "as a new assessment of its event"}.`;
    uploadResult.replaceChildren(notice(r.already_imported ? "info" : "success", what));
    form.reset();
    await loadEvents();
    await openEvent(r.event_id, { focus: false });
    announce(what);
  } catch (error) {
    if (error instanceof ApiError || error instanceof Error) fieldProblem(form, input, error.message);
    else uploadResult.replaceChildren(errorNotice(error));
  } finally {
    button.disabled = false;
  }
}

// --- start ---------------------------------------------------------------------------------------

let resizeTimer = 0;
let lastWidth = 0;
new ResizeObserver(() => {
  const width = detail.clientWidth;
  if (width === lastWidth) return;
  lastWidth = width;
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawCharts, 100);
}).observe(detail);

async function start() {
  try {
    await loadEvents();
  } catch (error) {
    showListError(error);
    return;
  }
  const wanted = new URLSearchParams(location.search).get("event");
  if (wanted) await openEvent(wanted, { focus: false });
  document.body.dataset.conjunctionsLoaded = "true";
}

start();
