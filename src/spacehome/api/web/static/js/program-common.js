// Program page: helpers shared by its sections (no API calls of their own beyond what is named).
import { h, fmtUtc, flag, request, ApiError, errorNotice } from "./app.js";

export const RESOURCES = [
  { name: "crew_hours", label: "Crew time", unit: "h" },
  { name: "rack_months", label: "Rack time", unit: "rack-months" },
  { name: "adapter_months", label: "Adapter time", unit: "adapter-months" },
  { name: "upmass_kg", label: "Upmass", unit: "kg" },
  { name: "downlink_gb", label: "Downlink", unit: "GB" },
];

export const MODALITIES = {
  own_experiment: "Own experiment (in a station rack)",
  facility: "Use of a station facility",
  external_exposure: "External exposure",
};

export const STATE_LABELS = {
  draft: "Draft",
  submitted: "Submitted",
  under_review: "Under review",
  shortlisted: "Shortlisted",
  selected: "Selected",
  conditionally_selected: "Conditionally selected",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
};

const STATE_KIND = {
  draft: "",
  submitted: "badge-ok",
  under_review: "badge-warn",
  shortlisted: "badge-warn",
  selected: "badge-ok",
  conditionally_selected: "badge-warn",
  rejected: "badge-error",
  withdrawn: "badge-error",
};

export function stateBadge(state) {
  return h("span", { class: `badge state-badge ${STATE_KIND[state] || ""}`.trim(), dataset: { state } },
    STATE_LABELS[state] || state);
}

export function modalityLabel(m) {
  return MODALITIES[m] || m;
}

/** "in 29 days", "3 hours ago" (relative to the browser's clock). */
export function relative(iso, now = Date.now()) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "";
  const seconds = (t - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400 * 2) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

/** A time as "2026-12-03 14:05 UTC" with the relative time after it. */
export function when(iso) {
  return h("span", { class: "when" }, h("time", { datetime: iso }, fmtUtc(iso)),
    h("span", { class: "muted" }, ` (${relative(iso)})`));
}

/** open / upcoming / closed for a call view. */
export function callPhase(call, now = Date.now()) {
  if (call.open_now) return "open";
  return new Date(call.opens_at).getTime() > now ? "upcoming" : "closed";
}

export function phaseBadge(call) {
  const phase = callPhase(call);
  const kind = { open: "badge-ok", upcoming: "badge-warn", closed: "" }[phase];
  return h("span", { class: `badge ${kind}`.trim(), dataset: { phase } },
    { open: "Open", upcoming: "Not yet open", closed: "Closed" }[phase]);
}

export function country(code) {
  const f = flag(code);
  return h("span", { class: "country" }, f ? h("span", { "aria-hidden": "true" }, `${f} `) : null, code);
}

export function num(value, digits = 2) {
  if (value === null || value === undefined) return "—";
  return Number(value).toLocaleString("en", { maximumFractionDigits: digits });
}

/** Resource amounts ({name: {amount, unit}} or {name: number}) as a small table. */
export function resourceTable(caption, amounts) {
  return h("div", { class: "table-wrap resource-table" },
    h("table", { class: "data" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Resource"), h("th", { scope: "col", class: "num" }, "Amount"))),
      h("tbody", {}, RESOURCES.map((r) => {
        const v = amounts[r.name];
        const amount = v && typeof v === "object" ? v.amount : v;
        return h("tr", {}, h("th", { scope: "row" }, r.label), h("td", { class: "num" }, `${num(amount ?? 0)} ${r.unit}`));
      }))));
}

/** A description list from [label, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** An ApiError carrying field messages (client-side checks use the same display as the API's). */
export function fieldProblem(errors) {
  return new ApiError(422, { detail: "Check the fields marked below.", errors });
}

/** Read a proposal with its ETag; returns {proposal, etag}. */
export async function readProposal(id) {
  const { data, headers } = await request(`/proposals/${encodeURIComponent(id)}`);
  return { proposal: data, etag: headers.get("ETag") };
}

/** Move a proposal to another state (reads it first for its ETag). */
export async function transition(id, to, why = "") {
  const { etag } = await readProposal(id);
  const { data } = await request(`/proposals/${encodeURIComponent(id)}/transitions`, {
    method: "POST", json: { to, why }, headers: { "If-Match": etag },
  });
  return data;
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

/** Fill a container, replacing what it held. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The calls, loaded into ``panel`` with a loading state; null (and the panel showing the error,
 * or ``empty()`` when there is no call) when there is nothing to work on. */
export async function callsInto(panel, loadCalls, empty) {
  fill(panel, loading("Loading the calls…"));
  let calls;
  try {
    calls = await loadCalls();
  } catch (error) {
    fill(panel, errorNotice(error));
    return null;
  }
  if (!calls.length) {
    fill(panel, empty());
    return null;
  }
  return calls;
}
