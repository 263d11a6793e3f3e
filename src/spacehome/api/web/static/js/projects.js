// The Projects page: a world map of the partner countries (shaded by their number of projects),
// the same data as a table, and the project list, filtered by a country chosen on the map or in
// the select. A project's details: its team, stage history, schedule and data products for those
// who may see them (the API decides; the page says what is hidden and why).
import { ApiError, api, announce, errorNotice, fmtUtc, h, mount, notice, session } from "./app.js";
import { mapLibrariesLoaded, worldMap } from "./worldmap.js";
import { countryList, flagOf, fmtBytes, projectTitle, selectionLabel, stateBadge } from "./projects-format.js";

const PAGE_SIZE = 500;
const LEVELS = [
  { min: 0, max: 0, label: "Agreement or astronaut program, no project" },
  { min: 1, max: 1, label: "1 project" },
  { min: 2, max: 2, label: "2 projects" },
  { min: 3, max: Infinity, label: "3 or more projects" },
];

const state = {
  countries: [],          // GET /partner-countries .countries
  byCode: new Map(),      // alpha2 -> country
  projects: [],           // GET /projects items (public or full view)
  withoutCountries: [],
  organisations: [],
  selected: "",           // alpha2 or ""
  mineOnly: false,        // a partner's own projects only
  map: null,
};

const level = (count) => LEVELS.findIndex((l) => count >= l.min && count <= l.max);
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countryName(code) {
  const c = state.byCode.get(code);
  return c ? c.name : code;
}

async function allProjects() {
  const items = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await api("/projects", { query: { limit: PAGE_SIZE, offset } });
    items.push(...page.items);
    if (!page.items.length || items.length >= page.total) return items;
  }
}

function summaryOf(country) {
  const parts = [plural(country.project_count, "project")];
  if (country.agreements.length) parts.push(plural(country.agreements.length, "agreement"));
  if (country.astronaut_programs.length) parts.push(plural(country.astronaut_programs.length, "astronaut program"));
  return `${country.name}${country.host ? " (host)" : ""}: ${parts.join(", ")}`;
}

// --- the map -------------------------------------------------------------------------------------

function legend() {
  return h("ul", { class: "map-legend", "aria-label": "Map legend" },
    LEVELS.map((l, i) => h("li", {},
      h("span", { class: `swatch involvement-${i}`, "aria-hidden": "true" }), l.label)),
    h("li", {}, h("span", { class: "swatch swatch-selected", "aria-hidden": "true" }), "Chosen country (thick outline)"));
}

async function drawMap(svg, holder) {
  if (!mapLibrariesLoaded()) {
    holder.replaceChildren(notice("warning", "The map libraries are not installed on this server (run `make run`); the table below has the same data."));
    return;
  }
  try {
    const linked = state.countries.filter((c) => c.numeric);
    const label = `World map of ${plural(linked.length, "partner country", "partner countries")}, shaded by number of projects: ` +
      linked.map(summaryOf).join("; ") + ". The table “Partner countries” below has the same data.";
    state.map = await worldMap(svg, { width: 960, height: 480, label });
    for (const country of linked) {
      const el = state.map.country(country.numeric);
      if (!el) continue;
      el.classList.add("partner", `involvement-${level(country.project_count)}`);
      el.dataset.alpha2 = country.alpha2;
      const title = el.querySelector("title");
      if (title) title.textContent = `${summaryOf(country)} — click to list its projects`;
      el.addEventListener("click", () => choose(state.selected === country.alpha2 ? "" : country.alpha2));
    }
    highlight();
  } catch (error) {
    holder.replaceChildren(notice("warning", `The map cannot be drawn: ${error.message}. The table below has the same data.`));
  }
}

function highlight() {
  if (!state.map) return;
  const svg = document.getElementById("partner-map");
  for (const el of svg.querySelectorAll(".map-country.is-selected")) el.classList.remove("is-selected");
  const c = state.byCode.get(state.selected);
  const el = c && c.numeric ? state.map.country(c.numeric) : null;
  if (el) {
    el.classList.add("is-selected");
    el.parentNode.append(el); // draw its outline above its neighbours
  }
}

// --- the country table ---------------------------------------------------------------------------

function countryTable() {
  const rows = state.countries.map((c) => h("tr", {},
    h("th", { scope: "row" }, flagOf(c.alpha2), " ", c.name,
      c.host ? h("span", { class: "badge host-badge" }, "host") : null),
    h("td", {}, c.alpha2, " / ", c.numeric || "—"),
    h("td", { class: "num" }, c.project_count),
    h("td", {}, c.projects.length
      ? c.projects.map((p) => `${p.acronym || projectTitle(p)} (${p.state.replaceAll("_", " ")})`).join("; ")
      : h("span", { class: "muted" }, "none")),
    h("td", {}, c.agreements.length ? c.agreements.map((a) => a.title).join("; ") : h("span", { class: "muted" }, "none")),
    h("td", {}, c.astronaut_programs.length ? c.astronaut_programs.map((p) => p.name).join("; ") : h("span", { class: "muted" }, "none")),
    h("td", {}, c.project_count
      ? h("button", { type: "button", class: "button button-quiet button-small", onclick: () => choose(c.alpha2, { focusList: true }) },
        "Show projects", h("span", { class: "visually-hidden" }, ` of ${c.name}`))
      : null)));
  return h("div", { class: "table-wrap" },
    h("table", { class: "data", id: "country-table" },
      h("caption", { class: "visually-hidden" }, "Partner countries: codes, projects with their states, agreements and astronaut programs"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Country"), h("th", { scope: "col" }, "ISO codes"),
        h("th", { scope: "col", class: "num" }, "Projects"), h("th", { scope: "col" }, "Projects and states"),
        h("th", { scope: "col" }, "Agreements"), h("th", { scope: "col" }, "Astronaut programs"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Filter")))),
      h("tbody", {}, rows)));
}

// --- the project list ----------------------------------------------------------------------------

function choose(code, { focusList = false } = {}) {
  state.selected = code && state.byCode.has(code) ? code : "";
  const select = document.getElementById("country-filter");
  if (select) select.value = state.selected;
  const url = new URL(location.href);
  if (state.selected) url.searchParams.set("country", state.selected);
  else url.searchParams.delete("country");
  history.replaceState(null, "", url);
  highlight();
  renderList();
  const heading = document.getElementById("projects-heading");
  announce(heading ? heading.textContent : "");
  if (focusList && heading) heading.focus();
}

function renderList() {
  const list = document.getElementById("project-list");
  const heading = document.getElementById("projects-heading");
  const shown = state.projects
    .filter((p) => !state.selected || (p.countries || []).includes(state.selected))
    .filter((p) => !state.mineOnly || p.visibility === "full");
  const whose = state.mineOnly ? "Your team’s projects" : "Projects";
  heading.textContent = state.selected
    ? `${whose} with ${countryName(state.selected)} (${shown.length})`
    : `${state.mineOnly ? whose : "All projects"} (${shown.length})`;
  document.getElementById("clear-filter").hidden = !state.selected;
  if (!shown.length) {
    list.replaceChildren(notice("info", state.mineOnly
      ? "Your team has no project here yet; a project is created when the program selects your proposal."
      : state.selected
      ? `No stored project has a team member in ${countryName(state.selected)}; it is linked to the station by an agreement or an astronaut program.`
      : "No projects are recorded yet."));
    return;
  }
  list.replaceChildren(h("ul", { class: "project-list" }, shown.map(projectCard)));
}

function projectCard(p) {
  const detailId = `detail-${p.id}`;
  const mine = session && session.role === "partner" && p.visibility === "full";
  const detail = h("div", { id: detailId, class: "project-detail", hidden: true });
  const toggle = h("button", { type: "button", class: "button button-quiet button-small", "aria-expanded": "false", "aria-controls": detailId },
    "Show details", h("span", { class: "visually-hidden" }, ` of ${projectTitle(p)}`));
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.firstChild.textContent = open ? "Hide details" : "Show details";
    detail.hidden = !open;
    card.classList.toggle("is-open", open);
    if (open && !detail.dataset.loaded) {
      detail.dataset.loaded = "1";
      loadDetail(p, detail);
    }
  });
  const card = h("li", { class: "card project-card", dataset: { projectId: p.id } },
    h("div", { class: "project-head" },
      h("h3", {}, projectTitle(p), p.acronym && p.title ? h("span", { class: "muted" }, ` (${p.acronym})`) : null),
      h("p", { class: "badges" }, stateBadge(p.state),
        h("span", { class: "badge" }, selectionLabel(p.selection)),
        mine ? h("span", { class: "badge badge-ok" }, "Your team") : null)),
    h("dl", { class: "facts" },
      h("dt", {}, "Lead"),
      h("dd", {}, p.lead ? [p.lead.name, " — ", countryList([p.lead.country], countryName)] : h("span", { class: "muted" }, "not in the sources")),
      h("dt", {}, "Countries"),
      h("dd", {}, p.countries && p.countries.length ? countryList(p.countries, countryName) : h("span", { class: "muted" }, "unknown (not in the sources)")),
      h("dt", {}, "Cycle"), h("dd", {}, p.cycle || "—"),
      p.discipline ? [h("dt", {}, "Discipline"), h("dd", {}, p.discipline)] : null,
      p.launched_on ? [h("dt", {}, "Launched on"), h("dd", {}, p.launched_on)] : null),
    p.state_note ? h("p", { class: "muted state-note" }, p.state_note) : null,
    h("div", { class: "actions" }, toggle),
    detail);
  return card;
}

// --- a project's details ---------------------------------------------------------------------------

function section(title, ...children) {
  return h("section", { class: "detail-section" }, h("h4", {}, title), ...children);
}

function loginLink() {
  return h("a", { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, "Log in");
}

async function loadDetail(p, box) {
  box.setAttribute("aria-busy", "true");
  box.replaceChildren(h("p", { class: "loading" }, "Loading the project’s details…"));
  const full = p.visibility === "full";
  const id = encodeURIComponent(p.id);
  const calls = [api(`/projects/${id}/data-products`)];
  if (full) calls.push(api(`/projects/${id}/audit`), api(`/projects/${id}/schedule`, { query: { limit: 100 } }));
  const [products, audit, schedule] = await Promise.allSettled(calls);
  const parts = [];
  if (p.team && p.team.length) {
    parts.push(section("Team", h("ul", { class: "team" }, p.team.map((m) => h("li", {}, m.name, " — ", countryList([m.country], countryName))))));
  }
  if (full) {
    parts.push(section("Stage history", audit.status === "fulfilled" ? auditTable(audit.value) : errorNotice(audit.reason)));
    parts.push(section("Schedule", schedule.status === "fulfilled" ? scheduleView(schedule.value) : errorNotice(schedule.reason)));
  } else {
    parts.push(section("Stage history and schedule", h("p", { class: "muted" },
      "Shown to the project’s team and the program’s operations side. ",
      session ? null : [loginLink(), " as a member of the team to see them."])));
  }
  parts.push(section("Data products", products.status === "fulfilled" ? productsView(p, products.value, full) : errorNotice(products.reason)));
  if (p.sources && p.sources.length) {
    parts.push(section("Sources", h("ul", { class: "sources" }, p.sources.map((s) => h("li", {}, /^https?:\/\//.test(s) ? h("a", { href: s, rel: "noopener" }, s) : s)))));
  }
  box.replaceChildren(...parts);
  box.removeAttribute("aria-busy");
}

function auditTable(audit) {
  if (!audit.items.length) return h("p", { class: "muted" }, "No state changes recorded.");
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("caption", { class: "visually-hidden" }, "Stage history"),
    h("thead", {}, h("tr", {}, ["When", "From", "To", "By (role)", "Why"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, audit.items.map((e) => h("tr", {},
      h("td", {}, fmtUtc(e.at)), h("td", {}, e.from ? e.from.replaceAll("_", " ") : "—"),
      h("td", {}, stateBadge(e.to), e.launched_on ? ` on ${e.launched_on}` : ""),
      h("td", {}, e.actor_role.replaceAll("_", " ")), h("td", {}, e.why || "—"))))));
}

function scheduleView(s) {
  if (!s.plan) return h("p", { class: "muted" }, "No plan has been published yet, so no runs are scheduled.");
  const head = h("p", {}, `In plan “${s.plan.name}” (published ${fmtUtc(s.plan.published_at)}): ${plural(s.total, "activity", "activities")}.`);
  if (!s.items.length) return [head, h("p", { class: "muted" }, `The plan has no activities tagged with this project (key ${s.project_key}).`)];
  return [head, h("div", { class: "table-wrap" }, h("table", { class: "data" },
    h("caption", { class: "visually-hidden" }, "Scheduled activities"),
    h("thead", {}, h("tr", {}, ["Activity", "Start (UTC)", "End (UTC)", "Resources"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, s.items.map((a) => h("tr", {},
      h("td", {}, a.label || a.activity), h("td", {}, fmtUtc(a.start)), h("td", {}, fmtUtc(a.end)),
      h("td", {}, a.resources.join(", ") || "—")))))),
  s.total > s.items.length ? h("p", { class: "muted" }, `Showing the first ${s.items.length} of ${s.total}.`) : null];
}

function productsView(p, products, full) {
  const hiddenNote = full
    ? null
    : notice("info", "Embargoed data products are hidden from you until their embargo ends; only the project’s team and the program’s operations side see them earlier.",
      session ? null : [" ", loginLink(), " as a member of the team to see them."]);
  if (!products.items.length) {
    return [h("p", { class: "muted" }, full ? "No data products delivered yet." : "No public data products."), hiddenNote];
  }
  const rows = products.items.map((d) => h("tr", {},
    h("td", {}, d.filename, h("br"), h("span", { class: "muted small" }, d.media_type)),
    h("td", { class: "num" }, fmtBytes(d.size_bytes)),
    h("td", {}, fmtUtc(d.delivered_at)),
    h("td", {}, fmtUtc(d.embargo_until), " ", d.public ? h("span", { class: "badge badge-ok" }, "public") : h("span", { class: "badge badge-warn" }, "embargoed")),
    h("td", {}, h("a", {
      href: `/api/v1/projects/${encodeURIComponent(p.id)}/data-products/${d.sha256}`,
      download: d.filename,
      class: "button button-quiet button-small",
    }, "Download", h("span", { class: "visually-hidden" }, ` ${d.filename}`)))));
  return [h("div", { class: "table-wrap" }, h("table", { class: "data products" },
    h("caption", { class: "visually-hidden" }, "Data products"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "File"), h("th", { scope: "col", class: "num" }, "Size"),
      h("th", { scope: "col" }, "Delivered"), h("th", { scope: "col" }, "Embargo until"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Download")))),
    h("tbody", {}, rows))), hiddenNote];
}

// --- the page ------------------------------------------------------------------------------------

async function main() {
  let data;
  try {
    const [countries, projects] = await Promise.all([api("/partner-countries"), allProjects()]);
    data = countries;
    state.projects = projects;
  } catch (error) {
    mount(errorNotice(error), h("p", {}, h("button", { type: "button", class: "button", onclick: () => location.reload() }, "Try again")));
    return;
  }
  state.countries = data.countries;
  state.byCode = new Map(data.countries.map((c) => [c.alpha2, c]));
  state.withoutCountries = data.projects_without_countries;
  state.organisations = data.organisations;
  const wanted = new URL(location.href).searchParams.get("country");
  state.selected = wanted && state.byCode.has(wanted.toUpperCase()) ? wanted.toUpperCase() : "";

  const svg = h("svg", { id: "partner-map", class: "partner-map", "aria-describedby": "map-hint" });
  const mapHolder = h("div", { class: "map-holder" }, svg);
  const select = h("select", { id: "country-filter", name: "country", "aria-describedby": "country-filter-hint" },
    h("option", { value: "" }, `All countries (${plural(state.projects.length, "project")})`),
    state.countries.map((c) => h("option", { value: c.alpha2, selected: c.alpha2 === state.selected },
      `${c.name} (${plural(c.project_count, "project")})`)));
  select.addEventListener("change", () => choose(select.value));
  const clear = h("button", { type: "button", id: "clear-filter", class: "button button-quiet button-small", hidden: true, onclick: () => choose("") }, "Show all projects");

  const orgs = state.organisations.length
    ? h("p", { class: "muted" }, "Agreements with international organisations (not on the map): ",
      state.organisations.map((o) => `${o.partner} — ${o.title}`).join("; "), ".")
    : null;
  const unplaced = state.withoutCountries.length
    ? h("p", { class: "muted" }, `${plural(state.withoutCountries.length, "project")} without known countries (not on the map): `,
      state.withoutCountries.map(projectTitle).join("; "), ".")
    : null;

  mount(
    h("p", { class: "lede" },
      "Countries whose institutions take part in the station’s projects, or that have a cooperation agreement or an astronaut program with it. ",
      "States are those the program has recorded; where the sources say nothing later, later states are unknown."),
    session ? null : notice("info", "Teams: ", loginLink(), " to see your project’s schedule, stage history and embargoed data products."),
    h("section", { class: "card map-card", "aria-labelledby": "map-heading" },
      h("h2", { id: "map-heading" }, `Partner countries (${state.countries.length})`),
      h("div", { class: "map-layout" },
        mapHolder,
        h("div", { class: "map-side" },
          h("div", { class: "field" },
            h("label", { for: "country-filter" }, "Show the projects of"),
            h("p", { class: "hint", id: "country-filter-hint" }, "Or click a shaded country on the map."),
            select),
          clear,
          legend())),
      h("p", { id: "map-hint", class: "muted small" }, "Shading shows how many projects have a team member in each country; every country’s counts are in its tooltip and in the table."),
      orgs, unplaced,
      h("details", { class: "country-details" },
        h("summary", {}, "Partner countries as a table"),
        countryTable())),
    h("section", { class: "projects-section", "aria-labelledby": "projects-heading" },
      h("h2", { id: "projects-heading", tabindex: "-1" }, "Projects"),
      session && session.role === "partner"
        ? h("label", { class: "mine-toggle" },
          h("input", { type: "checkbox", id: "mine-only", onchange: (e) => { state.mineOnly = e.target.checked; renderList(); announce(document.getElementById("projects-heading").textContent); } }),
          " Only my team’s projects")
        : null,
      h("div", { id: "project-list" })),
  );
  renderList();
  await drawMap(svg, mapHolder);
}

main().catch((error) => {
  // A programming error must not leave the page on "Loading…".
  mount(errorNotice(error instanceof ApiError || error instanceof Error ? error : String(error)));
});
