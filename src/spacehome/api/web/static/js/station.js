// The Station page: the station's configuration at an instant, with a time slider from Tianhe's
// launch to the end of the record. Reads GET /api/v1/station/history (span and events) once and
// GET /api/v1/station?at= on every change of the instant (debounced, stale requests aborted).
// The URL keeps the instant (/station?at=...), so a view can be shared.
import { api, h, mount, notice, errorNotice, announce, fmtUtc, flag } from "./app.js";
import { drawStation, summary, kindWord } from "./station-drawing.js";

const MINUTE = 60_000;
const DAY_MIN = 1440;
const DEBOUNCE_MS = 200;

const state = {
  history: null,
  events: [], // dated events: {ms, ...event}
  start: 0,
  end: 0,
  instant: 0,
  controller: null,
  timer: 0,
};

const regionNames = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "region" });
  } catch {
    return null;
  }
})();

function countryName(code) {
  if (!code) return "";
  try {
    return (regionNames && regionNames.of(code)) || code;
  } catch {
    return code;
  }
}

/** "2022-12-01T00:00:00Z" (no milliseconds). */
function isoZ(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The value of a datetime-local input showing ``ms`` in UTC. */
function localValue(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

function parseAt(text) {
  if (!text) return { ms: null };
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text.trim())) {
    return { ms: null, error: `The link's time "${text}" has no zone (write it like 2022-12-01T00:00:00Z); showing the end of the record instead.` };
  }
  const ms = Date.parse(text.trim());
  if (Number.isNaN(ms)) return { ms: null, error: `The link's time "${text}" is not a date and time; showing the end of the record instead.` };
  return { ms };
}

// --- the controls -----------------------------------------------------------------------------

const els = {};

function buildControls() {
  const minMinute = Math.ceil(state.start / MINUTE);
  const maxMinute = Math.floor(state.end / MINUTE);
  els.instant = h("output", { id: "station-instant", class: "station-instant", for: "station-slider station-datetime", "aria-live": "off" });
  els.slider = h("input", {
    id: "station-slider", name: "slider", type: "range", min: minMinute, max: maxMinute, step: 1,
    "aria-describedby": "station-slider-hint", list: "station-marks",
    oninput: () => setInstant(Number(els.slider.value) * MINUTE, { from: "slider" }),
    onkeydown: sliderKeys,
  });
  const marks = h("datalist", { id: "station-marks" },
    state.events.map((e) => h("option", { value: Math.round(e.ms / MINUTE) })));
  const ticks = h("div", { class: "station-ticks", "aria-hidden": "true" },
    state.events.map((e) => {
      const tick = h("span", { class: `station-tick station-tick-${e.kind}`, title: `${fmtUtc(e.at)}: ${e.label}` });
      tick.style.left = `${(((e.ms - state.start) / (state.end - state.start)) * 100).toFixed(3)}%`;
      return tick;
    }));
  els.datetime = h("input", {
    id: "station-datetime", name: "at", type: "datetime-local", step: 60,
    min: localValue(Math.ceil(state.start / MINUTE) * MINUTE), max: localValue(state.end),
    "aria-describedby": "station-datetime-hint",
    onchange: () => {
      const value = els.datetime.value;
      if (!value) return;
      const ms = Date.parse(`${value.length === 16 ? value + ":00" : value}Z`);
      if (!Number.isNaN(ms)) setInstant(ms, { from: "datetime", immediate: true });
    },
  });
  els.prev = h("button", { type: "button", class: "button button-quiet", id: "station-prev", "aria-describedby": "station-prev-label", onclick: () => step(-1) }, "← Previous event");
  els.next = h("button", { type: "button", class: "button button-quiet", id: "station-next", "aria-describedby": "station-next-label", onclick: () => step(1) }, "Next event →");
  els.prevLabel = h("p", { id: "station-prev-label", class: "station-event-label" });
  els.nextLabel = h("p", { id: "station-next-label", class: "station-event-label" });
  els.current = h("p", { class: "station-current", "data-testid": "station-current-event" });
  els.link = h("a", { href: "/station", class: "station-link" }, "Link to this instant");

  return h("section", { class: "card station-controls", "aria-labelledby": "station-when-heading" },
    h("h2", { id: "station-when-heading" }, "When"),
    h("p", { class: "station-instant-line" }, "Showing the station at ", els.instant, " ", els.link),
    h("div", { class: "field station-slider-field" },
      h("label", { for: "station-slider" }, "Time from Tianhe's launch to the end of the record"),
      h("p", { class: "hint", id: "station-slider-hint" },
        `${fmtUtc(state.history.start)} to ${fmtUtc(state.history.end)}. Arrow keys move one day `
        + "(with Shift, one hour), Page Up and Page Down 30 days, Home and End to either end. "
        + "Marks show the events."),
      els.slider, marks, ticks),
    h("div", { class: "station-time-row" },
      h("div", { class: "field" },
        h("label", { for: "station-datetime" }, "Date and time (UTC)"),
        h("p", { class: "hint", id: "station-datetime-hint" }, "Type an instant in UTC to the minute."),
        els.datetime),
      h("div", { class: "station-steps" },
        h("div", { class: "actions" }, els.prev, els.next),
        els.prevLabel, els.nextLabel)),
    els.current);
}

function sliderKeys(event) {
  const deltas = { ArrowLeft: -DAY_MIN, ArrowDown: -DAY_MIN, ArrowRight: DAY_MIN, ArrowUp: DAY_MIN, PageDown: -30 * DAY_MIN, PageUp: 30 * DAY_MIN };
  let delta = deltas[event.key];
  if (delta === undefined) return;
  if (event.shiftKey && event.key.startsWith("Arrow")) delta = Math.sign(delta) * 60;
  event.preventDefault();
  const minute = Math.round(state.instant / MINUTE) + delta;
  setInstant(minute * MINUTE, { from: "keys" });
}

function neighbours(ms) {
  let prev = null;
  let next = null;
  for (const e of state.events) {
    if (e.ms < ms) prev = e;
    else if (e.ms > ms && next === null) next = e;
  }
  return { prev, next, here: state.events.filter((e) => e.ms === ms) };
}

function step(direction) {
  const { prev, next } = neighbours(state.instant);
  const target = direction < 0 ? prev : next;
  if (target) setInstant(target.ms, { from: "step", immediate: true });
}

/** Move to ``ms`` (clamped to the span): update the controls and the URL, then load. */
function setInstant(ms, { from = "", immediate = false } = {}) {
  const clamped = Math.min(Math.max(ms, state.start), state.end);
  state.instant = clamped;
  const iso = isoZ(clamped);
  if (from !== "slider") els.slider.value = String(Math.round(clamped / MINUTE));
  els.slider.setAttribute("aria-valuetext", fmtUtc(iso));
  if (from !== "datetime") els.datetime.value = localValue(clamped);
  els.instant.value = fmtUtc(iso, { seconds: new Date(clamped).getUTCSeconds() !== 0 });
  els.instant.textContent = els.instant.value;
  const url = `/station?at=${iso}`; // ISO 8601 in UTC: nothing to escape
  els.link.href = url;
  history.replaceState(null, "", url);

  const { prev, next, here } = neighbours(clamped);
  els.prev.disabled = prev === null;
  els.next.disabled = next === null;
  els.prevLabel.textContent = prev ? `Previous: ${fmtUtc(prev.at)}, ${prev.label}` : "No earlier event.";
  els.nextLabel.textContent = next ? `Next: ${fmtUtc(next.at)}, ${next.label}` : "No later event in the record.";
  els.current.replaceChildren(...(here.length
    ? [h("strong", {}, "At this instant: "), here.map((e) => e.label).join("; ")]
    : []));
  els.current.hidden = here.length === 0;

  window.clearTimeout(state.timer);
  if (immediate) load(iso);
  else state.timer = window.setTimeout(() => load(iso), DEBOUNCE_MS);
}

// --- the view ---------------------------------------------------------------------------------

async function load(iso) {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  els.view.setAttribute("aria-busy", "true");
  els.status.replaceChildren(h("span", { class: "loading" }, "Loading…"));
  try {
    const view = await api("/station", { query: { at: iso }, signal: controller.signal });
    if (controller.signal.aborted) return;
    render(view);
    els.status.replaceChildren();
    const crew = view.crew.length;
    announce(`${fmtUtc(view.state_at)}: ${view.modules.length} modules, `
      + `${view.ports.filter((p) => p.occupant && p.occupant.kind !== "module").length} ships docked, ${crew} aboard.`);
  } catch (error) {
    if (error && error.name === "AbortError") return;
    els.status.replaceChildren(errorNotice(error));
  } finally {
    if (state.controller === controller) {
      state.controller = null;
      els.view.removeAttribute("aria-busy");
    }
  }
}

function certaintyBadge(certainty) {
  if (certainty === "possible") return h("span", { class: "badge badge-warn" }, "possibly");
  return null;
}

function since(w) {
  if (!w) return "—";
  if (w.value) return fmtUtc(w.value);
  if (w.earliest || w.latest) return `unknown (${w.earliest ? "after " + fmtUtc(w.earliest) : ""}${w.earliest && w.latest ? ", " : ""}${w.latest ? "before " + fmtUtc(w.latest) : ""})`;
  return "unknown";
}

function until(w) {
  if (!w) return "no departure in the record";
  return since(w);
}

function render(view) {
  const drawing = drawStation(view);
  const modules = view.modules.length;
  els.drawing.replaceChildren(drawing);
  els.drawingCaption.textContent = `${modules} module${modules === 1 ? "" : "s"}; the drawing is a schematic top view (not to scale). Nadir and zenith point out of the page.`;

  // crew
  const crew = view.crew;
  els.crewHeading.textContent = `Crew aboard (${crew.length})`;
  els.crew.replaceChildren(...(crew.length
    ? [h("ul", { class: "crew-list", "data-testid": "crew-list" }, crew.map((p) => {
        const country = countryName(p.region || p.nationality);
        return h("li", { class: "crew-member" },
          h("span", { class: "crew-flag", "aria-hidden": "true" }, flag(p.region || p.nationality)),
          h("span", { class: "crew-name" }, p.name),
          " ", h("span", { class: "muted" }, `(${country})`),
          h("span", { class: "crew-detail muted" },
            `${p.role ? p.role + ", " : ""}${p.mission}${p.returns_on !== p.mission ? `, returns on ${p.returns_on}` : ""}`),
          certaintyBadge(p.certainty));
      }))]
    : [h("p", { class: "muted" }, "No one aboard at this instant.")]));

  // in flight, not docked
  els.free.replaceChildren(...(view.free_flying.length
    ? [notice("info", `In flight to the station, not docked: ${view.free_flying.map((m) => `${m.name} (${kindWord[m.kind] || m.kind})`).join(", ")}.`)]
    : []));

  // notes
  els.notes.replaceChildren(...(view.notes.length
    ? [h("h3", {}, "Notes from the record"), h("ul", { class: "station-notes" }, view.notes.map((n) => h("li", {}, n)))]
    : []));
  if (view.beyond_record) els.notes.prepend(notice("warning", `The record ends ${fmtUtc(view.record_complete_through)}.`));

  // table
  const core = view.modules.find((m) => m.attached_at === "core");
  const rows = [];
  if (core) {
    rows.push(h("tr", {},
      h("th", { scope: "row" }, "Core"),
      h("td", {}, core.name), h("td", {}, core.role), h("td", {}, since(core.since)), h("td", {}, "—")));
  }
  for (const p of view.ports) {
    const o = p.occupant;
    rows.push(h("tr", { dataset: { port: p.port } },
      h("th", { scope: "row" }, p.name),
      h("td", {}, o ? o.name : h("span", { class: "muted" }, "free"), " ", certaintyBadge(p.certainty)),
      h("td", {}, o ? kindWord[o.kind] || o.kind : "—"),
      h("td", {}, o ? since(p.since) : "—"),
      h("td", {}, o ? until(p.until) : "—")));
  }
  els.table.replaceChildren(h("table", { class: "data", "data-testid": "station-table" },
    h("caption", { class: "visually-hidden" }, `Modules, ports and vehicles at ${fmtUtc(view.state_at)}`),
    h("thead", {}, h("tr", {},
      ["Port", "Module or vehicle", "Kind", "Since", "Until"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
  els.summary.textContent = summary(view);
}

function eventList() {
  return h("details", { class: "card station-events" },
    h("summary", {}, `All ${state.history.events.length} configuration events in the record`),
    h("ol", { class: "station-event-list" }, state.history.events.map((e) => h("li", {},
      e.at
        ? h("a", { href: `/station?at=${e.at}`, onclick: (ev) => { ev.preventDefault(); setInstant(Date.parse(e.at), { from: "list", immediate: true }); els.slider.focus(); } }, fmtUtc(e.at))
        : h("span", { class: "muted" }, "time unknown"),
      " ", e.label))));
}

async function main() {
  let history;
  try {
    history = await api("/station/history");
  } catch (error) {
    mount(errorNotice(error));
    return;
  }
  state.history = history;
  state.start = Date.parse(history.start);
  state.end = Date.parse(history.end);
  state.events = history.events.filter((e) => e.at).map((e) => ({ ...e, ms: Date.parse(e.at) }));

  els.status = h("div", { class: "station-status", role: "status" });
  els.view = h("div", { class: "station-view" });
  els.drawing = h("div", { class: "station-drawing-wrap" });
  els.drawingCaption = h("p", { class: "muted station-caption" });
  els.summary = h("p", { class: "visually-hidden" });
  els.crewHeading = h("h2", { id: "station-crew-heading" }, "Crew aboard");
  els.crew = h("div", {});
  els.free = h("div", {});
  els.notes = h("div", { class: "station-notes-wrap" });
  els.table = h("div", { class: "table-wrap" });

  const query = new URLSearchParams(location.search).get("at");
  const parsed = parseAt(query);
  const warnings = [];
  if (parsed.error) warnings.push(notice("warning", parsed.error));
  let ms = parsed.ms ?? state.end;
  if (parsed.ms !== null && parsed.ms < state.start) warnings.push(notice("warning", `The station did not exist before Tianhe's launch at ${fmtUtc(history.start)}; showing that instant.`));
  if (parsed.ms !== null && parsed.ms > state.end) {
    warnings.push(notice("warning", `The record ends ${fmtUtc(history.end)} (${history.end_note}); showing the last recorded state.`));
    ms = state.end;
  }

  els.view.append(
    h("div", { class: "station-layout" },
      h("section", { class: "card station-figure", "aria-labelledby": "station-drawing-heading" },
        h("h2", { id: "station-drawing-heading" }, "Configuration"),
        els.drawing, els.drawingCaption, els.summary, els.free),
      h("section", { class: "card station-crew", "aria-labelledby": "station-crew-heading" },
        els.crewHeading, els.crew)),
    h("section", { class: "station-table-section", "aria-labelledby": "station-table-heading" },
      h("h2", { id: "station-table-heading" }, "Modules, ports and vehicles"),
      els.table, els.notes));

  mount(
    h("p", { class: "muted station-intro" },
      `${history.station}, from the station record: the modules, the Tianhe ports, the ships docked at them and the crew aboard at one instant. The record ends ${fmtUtc(history.end)}.`),
    warnings,
    buildControls(),
    els.status,
    els.view,
    eventList(),
  );
  setInstant(ms, { immediate: true });
}

main();
