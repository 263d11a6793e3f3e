// The Timeline page: a stored plan as lanes per crew member and per rack, resource profiles and
// orbit bands under one time control (timeline-chart.js), an activity's details on click, a list
// view of the visible activities, unscheduled items with their reasons, shares per country, and
// (planners, admins) solve/replan jobs with progress.
import { api, ApiError, announce, clearProblems, errorNotice, field, flag, fmtMinutes, fmtUtc, h, hasRole, mount, notice, showProblem } from "./app.js";
import { KIND_NAMES, TimelineChart, kindColour } from "./timeline-chart.js";

const LIST_LIMIT = 200;
const canRun = hasRole("planner", "admin");
const state = { plans: [], view: null, chart: null, planId: null };

const iso = (seconds) => new Date(Date.parse(state.view.horizon.start) + seconds * 1000).toISOString();
const num = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-GB", { maximumFractionDigits: digits }));

// --- the page's skeleton -----------------------------------------------------------------------

const planSelect = h("select", { id: "f-plan", name: "plan" });
const planInfo = h("p", { class: "muted", id: "plan-info" });
const chartHost = h("div", { class: "timeline-canvas-host" });
const details = h("aside", { class: "card timeline-details", "aria-labelledby": "details-title", tabindex: "-1" },
  h("h2", { id: "details-title" }, "Activity details"),
  h("p", { class: "muted" }, "Click an activity (or press n / p and Enter on the chart) to see its details here."));
const windowLabel = h("p", { class: "timeline-window", "aria-live": "polite" });
const listHost = h("div", { id: "list-view", hidden: true });
const listToggle = h("button", { type: "button", class: "button button-quiet button-small", "aria-expanded": "false", "aria-controls": "list-view" }, "Show list view");
const emptyToggle = h("input", { type: "checkbox", id: "f-hide-empty", checked: true });
const unscheduledHost = h("section", { class: "card", "aria-labelledby": "unscheduled-title" });
const sharesHost = h("section", { class: "card", "aria-labelledby": "shares-title" });
const legend = h("ul", { class: "timeline-legend", "aria-label": "Colours of activity kinds" },
  Object.entries(KIND_NAMES).map(([kind, name]) => {
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = kindColour(kind);
    return h("li", {}, swatch, name);
  }),
  (() => {
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = "#1b2a4a";
    return h("li", {}, swatch, "eclipse");
  })(),
  (() => {
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = "#2e7d4f";
    return h("li", {}, swatch, "ground contact");
  })());

const controlButton = (label, text, onclick) => h("button", { type: "button", class: "button button-quiet button-small", "aria-label": label, title: label, onclick }, text);
const controls = h("div", { class: "actions timeline-controls", role: "toolbar", "aria-label": "Time control", "aria-controls": "timeline-canvas" },
  controlButton("Earlier: pan to earlier", "◀ Earlier", () => state.chart && state.chart.pan(-0.5)),
  controlButton("Later: pan to later", "Later ▶", () => state.chart && state.chart.pan(0.5)),
  controlButton("Zoom in", "+ Zoom in", () => state.chart && state.chart.zoom(0.5)),
  controlButton("Zoom out", "− Zoom out", () => state.chart && state.chart.zoom(2)),
  controlButton("1 day: show one day", "1 day", () => showSpan(86400)),
  controlButton("1 week: show one week", "1 week", () => showSpan(7 * 86400)),
  controlButton("Whole plan: show the whole plan", "Whole plan", () => state.chart && state.chart.setWindow(0, state.view.horizon.seconds)),
  h("label", { class: "timeline-check", for: "f-hide-empty" }, emptyToggle, " Hide adapters without activities"));

function showSpan(seconds) {
  const c = state.chart;
  if (!c) return;
  const mid = (c.t0 + c.t1) / 2;
  c.setWindow(mid - seconds / 2, mid + seconds / 2);
}

const jobsHost = canRun ? h("section", { class: "card", "aria-labelledby": "jobs-title" }) : null;
const body = h("div", { class: "stack" });

mount(
  h("div", { class: "stack" },
    h("div", { class: "timeline-picker" },
      field({ label: "Plan", name: "plan", type: "select", options: [] }),
      planInfo),
    body,
    jobsHost),
);
// the field() helper made a select; use ours (same id and name) so we keep a reference
document.getElementById("f-plan").replaceWith(planSelect);
body.append(h("p", { class: "loading" }, "Loading the plans…"));

planSelect.addEventListener("change", () => loadPlan(planSelect.value));
new ResizeObserver(() => state.chart && state.chart.canvas.isConnected && state.chart.resize()).observe(chartHost);
listToggle.addEventListener("click", () => {
  const open = listHost.hidden;
  listHost.hidden = !open;
  listToggle.setAttribute("aria-expanded", String(open));
  listToggle.textContent = open ? "Hide list view" : "Show list view";
  if (open) renderList();
});
emptyToggle.addEventListener("change", () => {
  if (!state.chart) return;
  state.chart.hideEmpty = emptyToggle.checked;
  state.chart.relayout();
});

// --- plans -------------------------------------------------------------------------------------

function planLabel(p) {
  return `${p.name} — ${fmtUtc(p.horizon.start).slice(0, 10)} to ${fmtUtc(p.horizon.end).slice(0, 10)}${p.current ? " (current)" : ""}`;
}

async function loadPlans(selectId) {
  const page = await api("/plans", { query: { limit: 100 } });
  state.plans = page.items;
  planSelect.replaceChildren(...page.items.map((p) => h("option", { value: p.id }, planLabel(p))));
  const current = page.items.find((p) => p.current);
  const chosen = selectId || (state.planId && page.items.some((p) => p.id === state.planId) ? state.planId : null)
    || (current ? current.id : page.items[0] && page.items[0].id);
  if (chosen) planSelect.value = chosen;
  return chosen;
}

async function loadPlan(planId) {
  state.planId = planId;
  body.replaceChildren(h("p", { class: "loading", role: "status" }, "Loading the timeline…"));
  let view;
  try {
    view = await api(`/plans/${encodeURIComponent(planId)}/timeline`);
  } catch (error) {
    body.replaceChildren(errorNotice(error));
    return;
  }
  if (state.planId !== planId) return; // another plan was chosen meanwhile
  state.view = view;
  renderPlan();
}

// --- the chart and its panels ------------------------------------------------------------------

function renderPlan() {
  const view = state.view;
  const plan = view.plan;
  planInfo.replaceChildren(
    `${plan.current ? "Current plan" : "Stored plan"}, solver ${plan.solver} (${plan.solver_status}), `,
    `${num(plan.scheduled)} of ${num(plan.activities)} activities scheduled, ${num(plan.unplaced)} unscheduled. `,
    `Horizon ${fmtUtc(view.horizon.start)} to ${fmtUtc(view.horizon.end)} (${fmtMinutes(view.horizon.seconds / 60)}).`);
  const crew = view.lanes.filter((l) => l.kind === "crew").map((l) => l.label);
  const racks = view.lanes.filter((l) => l.kind === "rack").length;
  const canvas = h("canvas", {
    id: "timeline-canvas",
    class: "timeline-canvas",
    tabindex: "0",
    role: "img",
    "aria-roledescription": "timeline",
    "aria-describedby": "timeline-keys",
    "aria-label": `Timeline of ${plan.name}: ${view.activities.length} scheduled activities in lanes for ${crew.length} crew members (${crew.join(", ")}) and ${racks} racks, with eclipse and ground-contact bands and power, downlink and storage profiles. The list view gives the same activities as a table.`,
  });
  chartHost.replaceChildren(canvas);
  body.replaceChildren(
    h("section", { class: "card timeline-card", "aria-labelledby": "chart-title" },
      h("h2", { id: "chart-title" }, "Timeline"),
      controls,
      windowLabel,
      h("div", { class: "timeline-layout" }, chartHost, details),
      h("p", { class: "hint", id: "timeline-keys" },
        "On the chart: ← → pan, Page Up / Page Down pan further, + and − zoom, Home / End go to the start or end, ",
        "n / p select the next or previous visible activity and Enter shows it; drag to pan, Ctrl or ⌘ + wheel to zoom. All times UTC."),
      legend,
      h("div", { class: "actions" }, listToggle),
      listHost),
    unscheduledHost,
    sharesHost);
  const chart = new TimelineChart(canvas, view, {
    onSelect: (index, options) => showDetails(index, options),
    onWindow: () => updateWindow(),
  });
  chart.hideEmpty = emptyToggle.checked;
  state.chart = chart;
  canvas.timelineChart = chart; // for tests and the benchmark (no global)
  // a 30-day plan opens on its first week, so items are wide enough to tell apart
  chart.setWindow(0, Math.min(view.horizon.seconds, 7 * 86400));
  chart.draw();
  updateWindow();
  requestAnimationFrame(() => {
    performance.mark("timeline:rendered");
    document.body.dataset.timelineRendered = "true";
  });
  renderUnscheduled();
  renderShares();
  announce(`Timeline of ${plan.name} loaded.`);
}

let listTimer = 0;
function updateWindow() {
  const c = state.chart;
  windowLabel.textContent = `Showing ${fmtUtc(iso(c.t0))} to ${fmtUtc(iso(c.t1))}.`;
  if (!listHost.hidden) {
    clearTimeout(listTimer);
    listTimer = setTimeout(renderList, 150);
  }
}

function resourceNames(a) {
  return a.resources.map((i) => state.view.resources[i].label);
}

function showDetails(index, { focusStays = false } = {}) {
  const a = state.view.activities[index];
  const lanes = state.view.lanes.filter((l) => l.items.includes(index)).map((l) => l.label);
  const rows = [
    ["Kind", KIND_NAMES[a.kind] || a.kind],
    ["Starts", fmtUtc(iso(a.s))],
    ["Ends", fmtUtc(iso(a.e))],
    ["Duration", fmtMinutes((a.e - a.s) / 60)],
    ["Project", a.project || "—"],
    ["Experiment", a.experiment || "—"],
    ["Value", a.value === undefined ? "—" : num(a.value)],
    ["Holds", resourceNames(a).join(", ") || "—"],
    ["Lanes", lanes.join(", ") || "—"],
    ["Activity id", a.id],
  ];
  details.replaceChildren(
    h("h2", { id: "details-title" }, a.label),
    h("dl", { class: "timeline-dl" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  );
  state.chart.select(index, { reveal: true });
  announce(`${a.label}, ${fmtUtc(iso(a.s))} to ${fmtUtc(iso(a.e))}`);
  if (!focusStays && document.activeElement !== state.chart.canvas) details.focus();
}

function renderList() {
  const c = state.chart;
  const items = c.visibleItems();
  const shown = items.slice(0, LIST_LIMIT);
  const acts = state.view.activities;
  listHost.replaceChildren(
    h("h3", {}, "Activities in the visible window"),
    h("p", { class: "muted" }, items.length > LIST_LIMIT
      ? `${items.length} activities are visible; the first ${LIST_LIMIT} are listed: zoom in to list the rest.`
      : `${items.length} activities are visible.`),
    h("div", { class: "table-wrap" },
      h("table", { class: "data" },
        h("caption", { class: "visually-hidden" }, "Scheduled activities in the visible window (UTC)"),
        h("thead", {}, h("tr", {}, ["Activity", "Kind", "Start (UTC)", "End (UTC)", "Holds"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shown.map((i) => {
          const a = acts[i];
          return h("tr", {},
            h("td", {}, h("button", { type: "button", class: "link-button", onclick: () => showDetails(i) }, a.label)),
            h("td", {}, KIND_NAMES[a.kind] || a.kind),
            h("td", {}, fmtUtc(iso(a.s))),
            h("td", {}, fmtUtc(iso(a.e))),
            h("td", {}, resourceNames(a).join(", ")));
        })))));
}

function renderUnscheduled() {
  const rows = state.view.unscheduled;
  unscheduledHost.replaceChildren(
    h("h2", { id: "unscheduled-title" }, `Unscheduled (${rows.length})`),
    rows.length === 0
      ? h("p", {}, "Every activity of the plan's problem is scheduled.")
      : h("details", {},
        h("summary", {}, `${rows.length} activities are not in the plan; show them with the reasons`),
        h("div", { class: "table-wrap" },
          h("table", { class: "data" },
            h("caption", { class: "visually-hidden" }, "Unscheduled activities and why"),
            h("thead", {}, h("tr", {}, ["Activity", "Project", "Value", "Why it is not scheduled"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows.map((u) => h("tr", {},
              h("td", {}, u.label, u.optional ? null : h("span", { class: "badge badge-error" }, " mandatory")),
              h("td", {}, u.project || "—"),
              h("td", { class: "num" }, u.value === undefined ? "—" : num(u.value)),
              h("td", {}, u.reason))))))));
}

function renderShares() {
  const shares = state.view.shares;
  if (!shares.length) {
    sharesHost.replaceChildren(h("h2", { id: "shares-title" }, "Shares per country"), h("p", {}, "The plan's problem has no country groups."));
    return;
  }
  const max = Math.max(1, ...shares.map((s) => Math.max(s.value_pct, s.entitlement_pct)));
  const bar = (pct, cls) => {
    const el = h("span", { class: `share-bar ${cls}`, "aria-hidden": "true" });
    el.style.width = `${(100 * pct) / max}%`;
    return el;
  };
  sharesHost.replaceChildren(
    h("h2", { id: "shares-title" }, "Shares per country"),
    h("p", { class: "muted" }, "Value delivered by this plan against each country's entitlement (entitlements are assumptions of the scenario)."),
    h("div", { class: "table-wrap" },
      h("table", { class: "data shares-table" },
        h("caption", { class: "visually-hidden" }, "Shares per country"),
        h("thead", {}, h("tr", {}, ["Country", "Delivered vs entitled", "Value %", "Entitled %", "Ratio", "Runs", "Crew time", "Rack time", "Downlink (Mbit)"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shares.map((s) => h("tr", {},
          h("th", { scope: "row" }, h("span", { "aria-hidden": "true" }, flag(s.country), " "), s.country),
          h("td", { class: "share-cell" }, bar(s.value_pct, "share-value"), bar(s.entitlement_pct, "share-entitled")),
          h("td", { class: "num" }, num(s.value_pct, 1)),
          h("td", { class: "num" }, num(s.entitlement_pct, 1)),
          h("td", { class: "num" }, num(s.ratio, 2)),
          h("td", { class: "num" }, num(s.runs, 1)),
          h("td", { class: "num" }, fmtMinutes(s.crew_min)),
          h("td", { class: "num" }, fmtMinutes(s.rack_min)),
          h("td", { class: "num" }, num(s.downlink_mbit))))))),
    h("p", { class: "hint" }, "Bars: dark, the share of value delivered; light, the share entitled."));
}

// --- jobs ----------------------------------------------------------------------------------------

function jobForm() {
  const kind = field({ label: "Job", name: "kind", type: "select", value: "solve", options: [
    { value: "solve", label: "Solve a new increment scenario" },
    { value: "replan", label: "Replan the selected plan around a disruption" },
  ] });
  const solve = h("fieldset", { class: "job-solve" }, h("legend", {}, "Scenario"),
    h("div", { class: "job-grid" },
      field({ label: "Days", name: "days", type: "number", value: "3", min: "3", max: "90", required: true, hint: "3 to 90" }),
      field({ label: "Seed", name: "seed", type: "number", value: "0", min: "0", required: true }),
      field({ label: "Start (UTC)", name: "start", type: "text", value: "2026-09-07T00:00:00Z", hint: "ISO 8601 with a zone" }),
      field({ label: "Solver", name: "solver", type: "select", value: "cp-sat", options: [
        { value: "cp-sat", label: "CP-SAT (optimising)" }, { value: "greedy", label: "Greedy (fast)" }] })));
  const replan = h("fieldset", { class: "job-replan", hidden: true }, h("legend", {}, "Disruption (minutes from the plan's start)"),
    h("div", { class: "job-grid" },
      field({ label: "Disruption", name: "disruption.kind", type: "select", value: "crew-unavailable", options: [
        { value: "crew-unavailable", label: "Crew member unavailable" },
        { value: "rack-failure", label: "Rack failure" },
        { value: "debris-avoidance", label: "Debris-avoidance manoeuvre" },
        { value: "cargo-delay", label: "Cargo ship delay" }] }),
      field({ label: "Crew member id", name: "disruption.crew", type: "text", hint: "crew-unavailable, e.g. zhu-yangzhu" }),
      field({ label: "Rack id", name: "disruption.rack", type: "text", hint: "rack-failure, e.g. cmpr" }),
      field({ label: "Vehicle id", name: "disruption.vehicle", type: "text", hint: "cargo-delay" }),
      field({ label: "Starts at (min)", name: "disruption.start_min", type: "number", min: "0" }),
      field({ label: "Duration (min)", name: "disruption.duration_min", type: "number", min: "0" }),
      field({ label: "Ends at (min)", name: "disruption.end_min", type: "number", min: "0", hint: "rack-failure; empty: to the end" }),
      field({ label: "Delay (min)", name: "disruption.delay_min", type: "number", min: "0", hint: "cargo-delay" }),
      field({ label: "Replan at (min)", name: "disruption.at_min", type: "number", min: "0", hint: "empty: when the disruption starts" })));
  const common = h("div", { class: "job-grid" },
    field({ label: "Time limit (s)", name: "time_limit_s", type: "number", value: "10", min: "1", max: "120", required: true, hint: "1 to 120" }),
    h("div", { class: "field" }, h("label", { for: "f-publish", class: "timeline-check" },
      h("input", { type: "checkbox", id: "f-publish", name: "publish" }), " Publish the plan when done")));
  const form = h("form", { class: "form job-form", novalidate: true }, kind, solve, replan, common,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Start job")));
  const kindSelect = form.querySelector('[name="kind"]');
  kindSelect.addEventListener("change", () => {
    solve.hidden = kindSelect.value !== "solve";
    replan.hidden = kindSelect.value !== "replan";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    startJob(form);
  });
  return form;
}

const jobStatus = h("div", { class: "job-status", "aria-live": "polite" });

function renderJobs() {
  if (!jobsHost) return;
  jobsHost.replaceChildren(
    h("h2", { id: "jobs-title" }, "Solve or replan"),
    h("p", { class: "muted" }, "One job runs at a time. The plan it makes is checked by the independent validator and stored; then you can open or publish it."),
    jobForm(),
    jobStatus);
}

function intOrNull(value) {
  if (value === "" || value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

async function startJob(form) {
  clearProblems(form);
  const data = new FormData(form);
  const kind = data.get("kind");
  const body = { kind, time_limit_s: intOrNull(data.get("time_limit_s")), publish: data.get("publish") === "on" };
  if (kind === "solve") {
    Object.assign(body, { days: intOrNull(data.get("days")), seed: intOrNull(data.get("seed")), solver: data.get("solver") });
    if (data.get("start")) body.start = data.get("start");
  } else {
    if (state.planId) body.plan_id = state.planId;
    const d = { kind: data.get("disruption.kind") };
    for (const key of ["crew", "rack", "vehicle"]) if (data.get(`disruption.${key}`)) d[key] = data.get(`disruption.${key}`);
    for (const key of ["start_min", "duration_min", "end_min", "delay_min", "at_min"]) {
      const v = intOrNull(data.get(`disruption.${key}`));
      if (v !== null) d[key] = v;
    }
    body.disruption = d;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const job = await api("/plan-jobs", { method: "POST", json: body });
    showJob(job);
    await pollJob(job.id);
  } catch (error) {
    if (error instanceof ApiError) showProblem(form, error);
    else jobStatus.replaceChildren(errorNotice(error));
  } finally {
    button.disabled = false;
  }
}

function showJob(job) {
  const progress = h("progress", { id: "job-progress", max: "1", value: String(job.fraction), "aria-describedby": "job-phase" });
  const facts = [
    `${job.kind === "solve" ? "Solve" : "Replan"} job ${job.id}: ${job.phase}`,
    `elapsed ${num(job.elapsed_s, 1)} s of a ${job.time_limit_s} s limit`,
    job.objective !== null ? `best objective ${num(job.objective, 1)}` : null,
    job.bound !== null ? `bound ${num(job.bound, 1)}` : null,
    job.gap !== null ? `gap ${num(100 * job.gap, 2)} %` : null,
  ].filter(Boolean).join(", ");
  const parts = [
    h("label", { for: "job-progress" }, "Progress"),
    progress,
    h("p", { id: "job-phase", "data-status": job.status }, facts + "."),
  ];
  if (job.status === "succeeded") {
    const r = job.result;
    parts.push(notice("success",
      `Done: ${r.status} plan by ${r.solver}, ${num(r.scheduled)} activities scheduled, ${num(r.unplaced)} unscheduled; stored as “${r.plan.name}”`,
      r.plan.current ? " and published." : "."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "button", onclick: () => openPlan(r.plan.id) }, "Open the new plan"),
      r.plan.current ? null : h("button", { type: "button", class: "button button-quiet", onclick: (e) => publishPlan(r.plan.id, e.currentTarget) }, "Publish it")));
  } else if (job.status === "failed") {
    parts.push(notice("error", `The job failed: ${job.error}`));
  }
  jobStatus.replaceChildren(...parts);
}

async function pollJob(id) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const job = await api(`/plan-jobs/${encodeURIComponent(id)}`);
    showJob(job);
    if (job.status !== "running") {
      announce(job.status === "succeeded" ? "The job is done." : "The job failed.");
      return job;
    }
  }
}

async function openPlan(id) {
  await loadPlans(id);
  await loadPlan(id);
  document.getElementById("chart-title")?.scrollIntoView();
}

async function publishPlan(id, button) {
  button.disabled = true;
  try {
    await api(`/plans/${encodeURIComponent(id)}/publish`, { method: "POST" });
    button.replaceWith(h("span", { class: "badge badge-ok" }, "Published"));
    await loadPlans(state.planId);
  } catch (error) {
    button.disabled = false;
    jobStatus.append(errorNotice(error));
  }
}

// --- start -----------------------------------------------------------------------------------------

/** A job still running (started before this page was opened): show it and follow it. */
async function followRunningJob() {
  if (!canRun) return;
  try {
    const jobs = await api("/plan-jobs");
    const running = (jobs.items || []).find((job) => job.status === "running");
    if (running) {
      showJob(running);
      await pollJob(running.id);
    }
  } catch (error) {
    jobStatus.replaceChildren(errorNotice(error));
  }
}

async function start() {
  renderJobs();
  followRunningJob();
  let chosen;
  try {
    chosen = await loadPlans();
  } catch (error) {
    body.replaceChildren(errorNotice(error));
    return;
  }
  if (!chosen) {
    body.replaceChildren(notice("info", "No plan is stored yet.",
      canRun ? " Start a solve below to make one." : " A planner stores and publishes plans."));
    return;
  }
  await loadPlan(chosen);
}

start();
