// The Now page (public): where the station is, its ground track and Earth's shadow, the day/night
// terminator, who is aboard, what is docked, the element set's age, and passes over a city.
//
// One request (GET /api/v1/now) brings everything the first render needs; the position then moves
// every second by interpolating the track's points (30 s apart) and the page refetches when the
// track runs out or every few minutes. "?at=ISO" in the address shows a fixed instant instead.

import { api, h, mount, notice, errorNotice, announce, fmtUtc, flag } from "./app.js";
import { worldMap } from "./worldmap.js";
import { passesCard } from "./now-passes.js";

const MAP_W = 960;
const MAP_H = 480;
const REFETCH_MS = 5 * 60 * 1000; // refetch at least this often
const TRACK_MARGIN_MS = 10 * 60 * 1000; // ... and when less than this much track is left
const SOLAR_DEG_PER_MS = 360 / 86_400_000; // the subsolar point moves west ~15° per hour

const fixedAt = new URLSearchParams(location.search).get("at");

// --- pure helpers (exported for clarity; no DOM) --------------------------------------------------

/** Longitude wrapped into [-180, 180). */
export function wrapLon(lon) {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/** The position at time ms, interpolated between the track's points (across the antimeridian). */
export function interpolate(points, times, ms) {
  if (!points.length || ms < times[0] || ms > times[times.length - 1]) return null;
  let lo = 0;
  let hi = times.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= ms) lo = mid;
    else hi = mid;
  }
  const a = points[lo];
  const b = points[hi];
  const f = times[hi] === times[lo] ? 0 : (ms - times[lo]) / (times[hi] - times[lo]);
  let dLon = b.lon - a.lon;
  if (dLon > 180) dLon -= 360;
  if (dLon < -180) dLon += 360;
  return {
    lat: a.lat + f * (b.lat - a.lat),
    lon: wrapLon(a.lon + f * dLon),
    alt: a.alt_km + f * (b.alt_km - a.alt_km),
    sunlit: f < 0.5 ? a.sunlit : b.sunlit,
  };
}

/**
 * Runs of track points with the same style (sunlit/shadow, past/future), each split into pieces
 * that do not cross the antimeridian: the crossing gets an interpolated point on both edges.
 */
export function trackPieces(points, times, nowMs) {
  const pieces = [];
  let current = null;
  const start = (key, first) => {
    current = { ...key, coords: first ? [first] : [] };
    pieces.push(current);
  };
  for (let i = 0; i < points.length; i += 1) {
    const p = points[i];
    const key = { sunlit: p.sunlit, past: times[i] < nowMs };
    if (!current) start(key);
    else if (current.sunlit !== key.sunlit || current.past !== key.past) {
      const last = current.coords[current.coords.length - 1];
      start(key, last); // continue from the previous point so the line has no gap
    }
    const prev = current.coords[current.coords.length - 1];
    if (prev && Math.abs(p.lon - prev[0]) > 180) {
      // Crossing the antimeridian: end this piece at ±180 and start the next at ∓180.
      const east = prev[0] > 0; // going east across +180
      const lonB = east ? p.lon + 360 : p.lon - 360;
      const edge = east ? 180 : -180;
      const f = (edge - prev[0]) / (lonB - prev[0]);
      const lat = prev[1] + f * (p.lat - prev[1]);
      current.coords.push([edge, lat]);
      start(key, [-edge, lat]);
    }
    current.coords.push([p.lon, p.lat]);
  }
  return pieces.filter((piece) => piece.coords.length > 1);
}

/** Sunlit/shadow intervals of the track, for the table that stands in for the drawing. */
export function shadowSegments(points) {
  const out = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.sunlit === p.sunlit) last.to = p;
    else out.push({ sunlit: p.sunlit, from: p, to: p });
  }
  return out;
}

const fmtLat = (v) => `${Math.abs(v).toFixed(2)}° ${v >= 0 ? "N" : "S"}`;
const fmtLon = (v) => `${Math.abs(v).toFixed(2)}° ${v >= 0 ? "E" : "W"}`;

// --- the page ---------------------------------------------------------------------------------

const state = {
  data: null,
  times: [],
  offsetMs: 0, // server "now" minus the browser's clock at fetch time
  fetchedAt: 0,
  map: null,
  loading: false,
};

function serverNow() {
  if (fixedAt && state.data) return Date.parse(state.data.at);
  return Date.now() + state.offsetMs;
}

async function load() {
  const clientBefore = Date.now();
  const data = await api("/now", { query: { at: fixedAt || undefined } });
  const clientAfter = Date.now();
  state.data = data;
  state.times = data.track ? data.track.points.map((p) => Date.parse(p.t)) : [];
  state.offsetMs = Date.parse(data.at) - (clientBefore + clientAfter) / 2;
  state.fetchedAt = clientAfter;
  return data;
}

// Elements the ticker updates.
const els = {};

function readoutRow(label, key) {
  els[key] = h("dd", { "data-testid": `position-${key}` }, "—");
  return [h("dt", {}, label), els[key]];
}

function positionCard() {
  return h("section", { class: "card now-position", "aria-labelledby": "now-position-title" },
    h("h2", { id: "now-position-title" }, "Position"),
    h("dl", { class: "now-readout" },
      readoutRow("Time", "time"),
      readoutRow("Latitude", "lat"),
      readoutRow("Longitude", "lon"),
      readoutRow("Altitude", "alt"),
      readoutRow("Speed", "speed"),
      readoutRow("Light", "light")),
    h("p", { class: "hint" },
      "Sub-satellite point (WGS84), from SGP4 and the element set below; updated every second."));
}

function elementSetNotice(es) {
  const label = `Element set ${es.name || es.catalog_number}, epoch ${fmtUtc(es.epoch)}: ` +
    `${Math.abs(es.age_days).toFixed(1)} days ${es.age_days >= 0 ? "old" : "after this time"}.`;
  if (es.level === "fresh") {
    return h("p", { class: "notice notice-success", role: "status", "data-testid": "element-set" },
      label, " ", h("span", { class: "badge badge-ok" }, "fresh"));
  }
  return h("div", { class: "notice notice-warning now-stale", role: "status", "data-testid": "element-set" },
    h("p", {}, h("strong", {}, es.level === "very-stale" ? "Old element set — positions are approximate. " : "Element set getting old. "),
      label, " ", h("span", { class: "badge badge-warn" }, es.level)),
    h("p", { class: "now-stale-detail" }, es.warning));
}

function crewCard(st) {
  const list = h("ul", { class: "now-crew", "data-testid": "crew" },
    st.crew.map((c) => h("li", {},
      h("span", { class: "now-flag", "aria-hidden": "true" }, flag(c.region || c.nationality)),
      h("span", { class: "now-crew-name" }, c.name),
      h("span", { class: "muted" },
        ` ${c.nationality_name}${c.region_name ? ` (${c.region_name})` : ""} · ${c.role} · ${c.mission}`),
      c.certainty !== "certain" ? h("span", { class: "badge badge-warn" }, c.certainty) : null)));
  const record = st.beyond_record
    ? notice("info", `The station record ends ${fmtUtc(st.record_complete_through)}: this is the crew of its last recorded state; who is aboard now is unknown.`)
    : h("p", { class: "hint" }, `From the station record (state at ${fmtUtc(st.state_at)}).`);
  return h("section", { class: "card", "aria-labelledby": "now-crew-title" },
    h("h2", { id: "now-crew-title" }, `Crew aboard (${st.crew_count})`),
    st.crew.length ? list : h("p", { class: "muted" }, "Nobody aboard in the record at this time."),
    record);
}

function portsCard(st) {
  const rows = st.ports.map((p) => h("tr", {},
    h("th", { scope: "row" }, p.name),
    h("td", {}, p.occupant ? p.occupant.name : h("span", { class: "muted" }, "free")),
    h("td", {}, p.occupant ? p.occupant.kind : ""),
    h("td", {}, p.since ? fmtUtc(p.since) : (p.occupant ? "unknown" : "")),
    h("td", {}, p.certainty && p.certainty !== "certain" ? h("span", { class: "badge badge-warn" }, p.certainty) : "")));
  return h("section", { class: "card", "aria-labelledby": "now-ports-title" },
    h("h2", { id: "now-ports-title" }, "Docked at the ports"),
    h("div", { class: "table-wrap" },
      h("table", { class: "data", "data-testid": "ports" },
        h("caption", { class: "visually-hidden" }, "Occupant of each port of the station"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Port"), h("th", { scope: "col" }, "Occupant"),
          h("th", { scope: "col" }, "Kind"), h("th", { scope: "col" }, "Since"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Certainty")))),
        h("tbody", {}, rows))),
    st.notes.length
      ? h("details", { class: "now-notes" }, h("summary", {}, `Notes from the record (${st.notes.length})`),
        h("ul", {}, st.notes.map((n) => h("li", {}, n))))
      : null);
}

function trackTable(data) {
  const segs = shadowSegments(data.track.points);
  return h("details", { class: "now-track-table" },
    h("summary", {}, "The ground track as a table (sunlit and shadow intervals)"),
    h("div", { class: "table-wrap" },
      h("table", { class: "data" },
        h("caption", { class: "visually-hidden" }, "Sunlit and shadow intervals of the ground track"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "From"), h("th", { scope: "col" }, "To"),
          h("th", { scope: "col" }, "Light"), h("th", { scope: "col" }, "Starts over"))),
        h("tbody", {}, segs.map((s) => h("tr", {},
          h("td", {}, fmtUtc(s.from.t)), h("td", {}, fmtUtc(s.to.t)),
          h("td", {}, s.sunlit ? "sunlit" : "Earth's shadow"),
          h("td", {}, `${fmtLat(s.from.lat)}, ${fmtLon(s.from.lon)}`)))))));
}

function legend() {
  const swatch = (cls) => h("svg", { class: "now-swatch", viewBox: "0 0 30 10", "aria-hidden": "true", focusable: "false" },
    h("line", { class: cls, x1: 1, y1: 5, x2: 29, y2: 5 }));
  return h("ul", { class: "now-legend" },
    h("li", {}, swatch("now-track now-track-sunlit"), "track, sunlit"),
    h("li", {}, swatch("now-track now-track-shadow"), "track, in Earth's shadow"),
    h("li", {}, swatch("now-track now-track-sunlit now-track-past"), "past orbit (paler)"),
    h("li", {}, h("span", { class: "now-night-swatch", "aria-hidden": "true" }), "night side"),
    h("li", {}, h("svg", { class: "now-swatch", viewBox: "0 0 30 10", "aria-hidden": "true", focusable: "false" },
      h("circle", { class: "now-station", cx: 15, cy: 5, r: 4 })), "the station now"));
}

function drawNight(map, nowMs) {
  const { d3 } = window;
  const { subsolar, at } = state.data;
  const lon = wrapLon(subsolar.longitude_deg - (nowMs - Date.parse(at)) * SOLAR_DEG_PER_MS);
  const night = d3.geoCircle().center([wrapLon(lon + 180), -subsolar.latitude_deg]).radius(90)();
  const layer = map.layer("night");
  layer.replaceChildren(h("path", { class: "now-night", d: map.path(night) }));
}

function drawTrack(map, nowMs) {
  if (!state.data.track) {
    map.layer("track").replaceChildren();
    return;
  }
  const pieces = trackPieces(state.data.track.points, state.times, nowMs);
  const layer = map.layer("track");
  layer.replaceChildren(...pieces.map((piece) => h("polyline", {
    class: `now-track ${piece.sunlit ? "now-track-sunlit" : "now-track-shadow"}${piece.past ? " now-track-past" : ""}`,
    points: piece.coords.map((c) => map.projection(c).map((v) => v.toFixed(1)).join(",")).join(" "),
  })));
}

let marker = null;

function tick() {
  const { data } = state;
  if (!data || !state.map) return;
  const nowMs = serverNow();
  els.time.textContent = fmtUtc(new Date(nowMs).toISOString(), { seconds: true });
  if (!data.position) {
    for (const key of ["lat", "lon", "alt", "speed", "light"]) els[key].textContent = "unknown";
    marker.setAttribute("visibility", "hidden");
    return;
  }
  marker.removeAttribute("visibility");
  const pos = fixedAt ? {
    lat: data.position.latitude_deg, lon: data.position.longitude_deg,
    alt: data.position.altitude_km, sunlit: data.position.sunlit,
  } : interpolate(data.track.points, state.times, nowMs);
  if (!pos) return;
  els.lat.textContent = fmtLat(pos.lat);
  els.lon.textContent = fmtLon(pos.lon);
  els.alt.textContent = `${pos.alt.toFixed(1)} km`;
  els.speed.textContent = `${data.position.speed_km_s.toFixed(2)} km/s`;
  els.light.textContent = pos.sunlit ? "sunlit" : "in Earth's shadow";
  const [x, y] = state.map.projection([pos.lon, pos.lat]);
  marker.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
  marker.querySelector("title").textContent =
    `The station at ${fmtLat(pos.lat)}, ${fmtLon(pos.lon)}, ${pos.sunlit ? "sunlit" : "in Earth's shadow"}`;
}

function redrawSlow() {
  if (!state.data || !state.map) return;
  const nowMs = serverNow();
  drawNight(state.map, nowMs);
  drawTrack(state.map, nowMs);
  state.map.layer("station").append(marker); // keep the marker on top
}

async function refresh() {
  if (state.loading || fixedAt) return;
  state.loading = true;
  try {
    await load();
    renderData();
  } catch (error) {
    statusLine.replaceChildren(errorNotice(error));
  } finally {
    state.loading = false;
  }
}

const statusLine = h("div", { class: "now-status" });
const elementSlot = h("div", {});
const crewSlot = h("div", {});
const portsSlot = h("div", {});
const trackSlot = h("div", {});

/** Which of a slot's <details> were open, to reopen them after a refresh redraws the slot. */
function openDetails(slot) {
  return [...slot.querySelectorAll("details")].map((d) => d.open);
}

function reopen(slot, states) {
  slot.querySelectorAll("details").forEach((d, i) => {
    if (states[i]) d.open = true;
  });
}

function renderData() {
  const { data } = state;
  const wasOpen = [openDetails(portsSlot), openDetails(trackSlot)];
  elementSlot.replaceChildren(data.element_set
    ? elementSetNotice(data.element_set)
    : notice("warning", `The station's position cannot be shown for this time: ${data.orbit_problem}`));
  crewSlot.replaceChildren(crewCard(data.station));
  portsSlot.replaceChildren(portsCard(data.station));
  trackSlot.replaceChildren(data.track ? trackTable(data) : "");
  reopen(portsSlot, wasOpen[0]);
  reopen(trackSlot, wasOpen[1]);
  statusLine.replaceChildren(fixedAt
    ? notice("info", `Showing the station at ${fmtUtc(data.at, { seconds: true })} (the time in the address); `,
      h("a", { href: "/" }, "show it now"), ".")
    : h("p", { class: "hint" }, `Updated ${fmtUtc(data.at, { seconds: true })}`,
      data.track ? `; the track runs from ${fmtUtc(data.track.from)} to ${fmtUtc(data.track.to)}.` : "."));
  redrawSlow();
  tick();
}

async function main() {
  const svg = h("svg", { class: "now-map", "data-testid": "map" });
  const mapCard = h("section", { class: "card now-map-card", "aria-labelledby": "now-map-title" },
    h("h2", { id: "now-map-title" }, "Where the station is"),
    svg, legend(), trackSlot);
  // Both at once: the map's data and the station's.
  const dataPromise = load();
  const mapPromise = worldMap(svg, {
    width: MAP_W, height: MAP_H,
    label: "World map with the station's position, its ground track from one orbit ago to two orbits ahead (dashed where in Earth's shadow), and the night side",
  });
  let map;
  try {
    [, map] = await Promise.all([dataPromise, mapPromise]);
  } catch (error) {
    mount(errorNotice(error));
    return;
  }
  state.map = map;
  marker = h("g", { class: "now-station-marker", "data-testid": "station-marker" },
    h("title", {}, "The station"),
    h("circle", { class: "now-station-halo", r: 11 }),
    h("circle", { class: "now-station", r: 5.5 }));
  map.layer("night");
  map.layer("track");
  map.layer("station").append(marker);

  mount(
    elementSlot,
    h("div", { class: "now-top" }, mapCard, positionCard()),
    statusLine,
    h("div", { class: "grid now-cards" }, crewSlot, portsSlot),
    passesCard({ from: () => new Date(serverNow()).toISOString().replace(/\.\d+Z$/, "Z") }),
  );
  renderData();
  performance.mark("now:rendered");
  document.getElementById("page").dataset.rendered = "true";
  if (state.data.position) announce(`The station is over ${els.lat.textContent}, ${els.lon.textContent}.`);

  window.setInterval(tick, 1000);
  window.setInterval(redrawSlow, 60_000);
  window.setInterval(() => {
    const lastMs = state.times.length ? state.times[state.times.length - 1] : Infinity;
    if (Date.now() - state.fetchedAt > REFETCH_MS || serverNow() > lastMs - TRACK_MARGIN_MS) refresh();
  }, 15_000);
}

main();
