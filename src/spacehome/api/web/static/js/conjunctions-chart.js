// The Conjunctions page's drawings, plain SVG at the host's pixel width (so text stays readable
// on a phone): the miss vector of an event in the primary's radial / in-track / cross-track axes
// (two views sharing one scale), and the Pc of its assessments over time on a log scale with the
// threshold line. Our own code; the numbers come from GET /api/v1/conjunctions/{id}.
import { h, fmtUtc } from "./app.js";

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");
const f1 = (v) => v.toFixed(1);

// --- numbers -------------------------------------------------------------------------------------

/** A distance given in km: metres below 10 km ("647 m"), else km ("14.47 km"); null: "—". */
export function fmtDistance(km, { signed = false } = {}) {
  if (km === null || km === undefined) return "—";
  const sign = signed ? (km > 0 ? "+" : km < 0 ? "−" : "") : km < 0 ? "−" : "";
  const a = Math.abs(km);
  const text = a < 10
    ? `${Math.round(a * 1000).toLocaleString("en-GB")} m`
    : `${a.toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} km`;
  return sign + text;
}

/** A collision probability: "7.0e-4"; null: "not computed"; 0: "0". */
export function fmtPc(pc) {
  if (pc === null || pc === undefined) return "not computed";
  if (pc === 0) return "0";
  return Number(pc).toExponential(1);
}

/** A Pc compared with a threshold: with as many digits as it takes not to round across it
 * (9.99967e-5 against 1e-4 is "9.9997e-5", not "1.0e-4"). */
export function fmtPcAgainst(pc, threshold) {
  if (typeof pc !== "number" || pc === 0) return fmtPc(pc);
  for (let digits = 1; digits < 6; digits += 1) {
    const text = pc.toExponential(digits);
    if ((Number(text) < threshold) === (pc < threshold)) return text;
  }
  return pc.toExponential(6);
}

export function fmtSpeed(kmS) {
  return kmS === null || kmS === undefined ? "—" : `${kmS.toLocaleString("en-GB", { maximumFractionDigits: 3 })} km/s`;
}

/** 10 to a power, as "10⁻⁴". */
export function power10(exponent) {
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c] || c).join("")}`;
}

function text(x, y, content, attrs = {}) {
  return h("text", { x: f1(x), y: f1(y), ...attrs }, content);
}

// --- miss geometry -------------------------------------------------------------------------------

/** Whether an assessment (or the event's geometry) has the miss vector in R/T/N. */
export function hasRtn(g) {
  return g && [g.radial_km, g.in_track_km, g.cross_track_km].every((v) => typeof v === "number");
}

/**
 * The miss vector of ``g`` ({radial_km, in_track_km, cross_track_km, miss_km}) in two views that
 * share one scale: radial against in-track, and cross-track against in-track; the primary at the
 * centre, the secondary where it passes at the TCA. ``width`` in CSS pixels.
 */
export function geometrySvg(g, width, { label }) {
  const stacked = width < 560;
  const size = stacked ? Math.min(width, 360) : Math.min((width - 16) / 2, 360);
  const height = stacked ? 2 * size + 16 : size;
  const extent = Math.max(Math.abs(g.radial_km), Math.abs(g.in_track_km), Math.abs(g.cross_track_km), 1e-6) * 1.35;
  const views = [
    { title: "Radial against in-track", y: g.radial_km, yName: "R", yWord: "radial (up)", cls: "geo-r" },
    { title: "Cross-track against in-track", y: g.cross_track_km, yName: "N", yWord: "cross-track", cls: "geo-n" },
  ];
  const svg = h("svg", {
    class: "geo-svg", width: Math.round(stacked ? size : width), height: Math.round(height),
    viewBox: `0 0 ${Math.round(stacked ? size : width)} ${Math.round(height)}`, role: "img", "aria-label": label,
  });
  views.forEach((view, i) => {
    const ox = stacked ? 0 : i * (size + 16);
    const oy = stacked ? i * (size + 16) : 0;
    const inner = size - 56; // plot square, with room for labels
    const cx = ox + 28 + inner / 2;
    const cy = oy + 28 + inner / 2;
    const k = inner / 2 / extent;
    const px = cx + g.in_track_km * k;
    const py = cy - view.y * k;
    const plane = Math.hypot(g.in_track_km, view.y);
    svg.append(
      h("g", { class: `geo-view ${view.cls}` },
        h("rect", { class: "geo-frame", x: ox + 0.5, y: oy + 0.5, width: size - 1, height: size - 1, rx: 6 }),
        text(ox + 10, oy + 18, view.title, { class: "geo-title" }),
        // axes through the primary
        h("line", { class: "geo-axis", x1: f1(cx - inner / 2), y1: f1(cy), x2: f1(cx + inner / 2), y2: f1(cy) }),
        h("line", { class: "geo-axis", x1: f1(cx), y1: f1(cy - inner / 2), x2: f1(cx), y2: f1(cy + inner / 2) }),
        text(cx + inner / 2, cy + 16, "+T in-track", { class: "geo-axis-label", "text-anchor": "end" }),
        text(cx + 6, cy - inner / 2 + 10, `+${view.yName} ${view.yWord}`, { class: "geo-axis-label" }),
        // projections of the secondary onto both axes, with the components
        h("line", { class: "geo-proj", x1: f1(px), y1: f1(py), x2: f1(px), y2: f1(cy) }),
        h("line", { class: "geo-proj", x1: f1(px), y1: f1(py), x2: f1(cx), y2: f1(py) }),
        text(px, cy + (view.y >= 0 ? 30 : -22), `T ${fmtDistance(g.in_track_km, { signed: true })}`, { class: "geo-value", "text-anchor": "middle" }),
        text(cx + (g.in_track_km >= 0 ? -6 : 6), view.y >= 0 ? py - 5 : py + 14, `${view.yName} ${fmtDistance(view.y, { signed: true })}`, { class: "geo-value", "text-anchor": g.in_track_km >= 0 ? "end" : "start" }),
        // the miss vector in this plane
        h("line", { class: "geo-vector", x1: f1(cx), y1: f1(cy), x2: f1(px), y2: f1(py) }),
        h("circle", { class: "geo-primary", cx: f1(cx), cy: f1(cy), r: 6 }),
        h("circle", { class: "geo-secondary", cx: f1(px), cy: f1(py), r: 6 }),
        text(ox + 10, oy + size - 10, `in this plane: ${fmtDistance(plane)}; scale: half-width ${fmtDistance(extent)}`, { class: "geo-note" })),
    );
  });
  return svg;
}

// --- Pc over time --------------------------------------------------------------------------------

const TIME_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000];

function timeLabel(ms, step, withDate) {
  const d = new Date(ms);
  const date = `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}`;
  if (step >= 86400) return [date, withDate ? String(d.getUTCFullYear()) : null];
  return [`${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`, withDate ? date : null];
}

/** The point's source for people: "screen" or "CDM <message id>". */
export function sourceName(a) {
  return a.source === "cdm" ? `CDM ${a.cdm ? a.cdm.message_id : a.source_ref}` : "screen";
}

/**
 * The Pc of each assessment (``history``, oldest first) against the time it was made: log scale,
 * screens as circles and CDMs as diamonds, "not computed" on its own row under the axis (never
 * as zero), and the ``threshold`` as a dashed line. ``width`` in CSS pixels.
 */
export function pcChartSvg(history, width, { threshold, label, tca }) {
  const W = Math.max(280, Math.round(width));
  const H = 300;
  const m = { left: 70, right: 14, top: 14 };
  const plotBottom = 196;
  const ncY = plotBottom + 30; // the "not computed" row
  const axisY = ncY + 22;
  const times = history.map((a) => Date.parse(a.assessed_at));
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 3600e3) {
    const mid = (t0 + t1) / 2;
    t0 = mid - 1800e3;
    t1 = mid + 1800e3;
  }
  const padT = (t1 - t0) * 0.08;
  t0 -= padT;
  t1 += padT;
  const values = history.map((a) => a.pc).filter((p) => typeof p === "number" && p > 0);
  const logs = [...values, threshold].map(Math.log10);
  let hi = Math.min(0, Math.ceil(Math.max(...logs)) + 1);
  let lo = Math.floor(Math.min(...logs)) - 1;
  if (hi - lo < 4) lo = hi - 4;
  const x = (ms) => m.left + ((ms - t0) / (t1 - t0)) * (W - m.left - m.right);
  const y = (pc) => m.top + ((hi - Math.max(lo, Math.log10(pc))) / (hi - lo)) * (plotBottom - m.top);
  const svg = h("svg", { class: "pc-svg", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });

  // log grid: one line per decade, labelled
  const stepDecades = hi - lo > 8 ? 2 : 1;
  for (let e = hi; e >= lo; e -= 1) {
    const yy = y(10 ** e);
    svg.append(h("line", { class: e % stepDecades === 0 ? "pc-grid" : "pc-grid pc-grid-minor", x1: m.left, x2: W - m.right, y1: f1(yy), y2: f1(yy) }));
    if ((hi - e) % stepDecades === 0) svg.append(text(m.left - 6, yy + 4, power10(e), { class: "pc-tick", "text-anchor": "end" }));
  }
  svg.append(
    text(12, m.top + (plotBottom - m.top) / 2, "Pc (log scale)", { class: "pc-axis-label", transform: `rotate(-90 12 ${f1(m.top + (plotBottom - m.top) / 2)})`, "text-anchor": "middle" }),
    h("line", { class: "pc-axis", x1: m.left, x2: m.left, y1: m.top, y2: ncY + 10 }),
    h("line", { class: "pc-nc-row", x1: m.left, x2: W - m.right, y1: ncY, y2: ncY }),
    text(m.left - 6, ncY + 4, "not", { class: "pc-tick", "text-anchor": "end" }),
    text(m.left - 6, ncY + 16, "computed", { class: "pc-tick", "text-anchor": "end" }),
  );

  // threshold
  const ty = y(threshold);
  svg.append(
    h("line", { class: "pc-threshold", x1: m.left, x2: W - m.right, y1: f1(ty), y2: f1(ty) }),
    text(W - m.right - 4, ty - 6, `threshold ${fmtPc(threshold)}`, { class: "pc-threshold-label", "text-anchor": "end" }),
  );

  // time axis
  const plotW = W - m.left - m.right;
  const step = TIME_STEPS.find((s) => ((s * 1000) / (t1 - t0)) * plotW >= 84) || TIME_STEPS[TIME_STEPS.length - 1];
  const first = Math.ceil(t0 / (step * 1000)) * step * 1000;
  let lastDate = "";
  svg.append(h("line", { class: "pc-axis", x1: m.left, x2: W - m.right, y1: axisY, y2: axisY }));
  for (let t = first; t <= t1; t += step * 1000) {
    const xx = x(t);
    const d = new Date(t);
    const dateKey = step >= 86400 ? String(d.getUTCFullYear()) : `${d.getUTCMonth()}-${d.getUTCDate()}`;
    const [main, sub] = timeLabel(t, step, dateKey !== lastDate);
    lastDate = dateKey;
    svg.append(
      h("line", { class: "pc-grid pc-grid-minor", x1: f1(xx), x2: f1(xx), y1: m.top, y2: axisY }),
      text(xx, axisY + 15, main, { class: "pc-tick", "text-anchor": "middle" }),
    );
    if (sub) svg.append(text(xx, axisY + 29, sub, { class: "pc-tick", "text-anchor": "middle" }));
  }
  svg.append(text(W - m.right, H - 4, "assessed (UTC)", { class: "pc-axis-label", "text-anchor": "end" }));
  const tcaMs = tca ? Date.parse(tca) : NaN;
  if (tcaMs >= t0 && tcaMs <= t1) {
    svg.append(
      h("line", { class: "pc-tca", x1: f1(x(tcaMs)), x2: f1(x(tcaMs)), y1: m.top, y2: axisY }),
      text(x(tcaMs) + 4, m.top + 12, "TCA", { class: "pc-tick" }),
    );
  }

  // the line through the computed values, then the points on top
  const computed = history.map((a, i) => [a, times[i]]).filter(([a]) => typeof a.pc === "number");
  if (computed.length > 1) {
    svg.append(h("polyline", { class: "pc-line", points: computed.map(([a, t]) => `${f1(x(t))},${f1(y(a.pc > 0 ? a.pc : 10 ** lo))}`).join(" ") }));
  }
  history.forEach((a, i) => {
    const xx = x(times[i]);
    const notComputed = typeof a.pc !== "number";
    const below = !notComputed && (a.pc <= 0 || Math.log10(a.pc) < lo);
    const yy = notComputed ? ncY : y(a.pc > 0 ? a.pc : 10 ** lo);
    const cls = `pc-point pc-point-${a.source === "cdm" ? "cdm" : "screen"}${notComputed ? " pc-point-nc" : ""}${below ? " pc-point-below" : ""}`;
    const shape = a.source === "cdm"
      ? h("polygon", { points: `${f1(xx)},${f1(yy - 8)} ${f1(xx + 8)},${f1(yy)} ${f1(xx)},${f1(yy + 8)} ${f1(xx - 8)},${f1(yy)}` })
      : h("circle", { cx: f1(xx), cy: f1(yy), r: 6.5 });
    const value = notComputed ? "Pc not computed"
      : `Pc ${fmtPc(a.pc)}${a.pc_estimated ? " (estimated)" : ""}${below ? ", below the axis" : ""}`;
    svg.append(h("g", { class: cls, dataset: { source: a.source, pc: notComputed ? "" : String(a.pc), assessment: String(a.id) } },
      h("title", {}, `${sourceName(a)}, assessed ${fmtUtc(a.assessed_at)}: ${value}, miss ${fmtDistance(a.miss_km)}`),
      shape));
    if (below) svg.append(text(xx + 11, yy + 4, a.pc <= 0 ? "Pc 0" : `${fmtPc(a.pc)} ↓`, { class: "pc-tick" }));
  });
  return svg;
}
