// Program page, program officer section: a call's proposals, moving submitted ones to review,
// reviewer assignment, the ranking (per criterion) and the selection run with its explanation.
import { api, h, field, showProblem, clearProblems, errorNotice, notice, announce, fmtUtc } from "./app.js";
import {
  RESOURCES, STATE_LABELS, stateBadge, phaseBadge, country, transition, loading, fill, num, facts, modalityLabel, resourceTable,
  fieldProblem, callsInto,
} from "./program-common.js";

const KIND_LABELS = {
  selected: "Selected",
  "does-not-fit": "Does not fit",
  excluded: "Excluded",
  tied: "Tied",
  incompatible: "Incompatible",
  undecided: "Undecided",
  "not-considered": "Not considered",
  "no-reviews": "No reviews",
};

export async function officerPanel(panel, { loadCalls, setParams, params }) {
  const calls = await callsInto(panel, loadCalls,
    () => notice("info", "No call exists yet: publish one on the Calls tab."));
  if (!calls) return;
  const board = h("div", { class: "board stack" });
  const detail = h("div", { class: "work-area", tabindex: "-1" });
  const wanted = params.get("call");
  const initial = calls.find((c) => c.id === wanted) || calls.find((c) => c.open_now) || calls[calls.length - 1];
  const chooser = field({
    label: "Call", name: "officer-call", type: "select", value: initial.id,
    options: calls.map((c) => ({ value: c.id, label: `${c.title} (${c.id})` })),
    onchange: (e) => show(e.target.value),
  });
  fill(panel, h("h2", {}, "Review and selection"), h("div", { class: "call-chooser" }, chooser), detail, board);

  let current = null;

  async function show(callId, message = null) {
    current = calls.find((c) => c.id === callId);
    setParams({ call: callId });
    fill(board, loading("Loading the call's proposals and reviews…"));
    let data;
    try {
      data = await api(`/program/calls/${encodeURIComponent(callId)}/review-board`);
    } catch (error) {
      fill(board, errorNotice(error));
      return;
    }
    fill(board,
      message,
      h("p", {}, phaseBadge(current), " Deadline ", fmtUtc(current.closes_at), ". Review stage: ", h("strong", {}, data.stage),
        data.double_anonymous ? " (double-anonymous)" : " (single-anonymous)", "."),
      settingsSection(data),
      proposalsSection(data),
      assignmentSection(data),
      rankingSection(data),
      selectionSection(data));
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  }

  function proposalsSection(data) {
    const result = h("div", { "aria-live": "polite" });
    const submitted = data.items.filter((r) => r.state === "submitted");
    const move = async (rows, button) => {
      button.disabled = true;
      fill(result);
      try {
        for (const row of rows) await transition(row.proposal_id, "under_review");
        announce(`${rows.length} moved to review`);
        await show(data.call_id, notice("success", `${rows.length === 1 ? "The proposal is" : `${rows.length} proposals are`} now under review.`));
      } catch (error) {
        fill(result, errorNotice(error));
        button.disabled = false;
      }
    };
    return h("section", { "aria-labelledby": "officer-proposals" },
      h("h3", { id: "officer-proposals" }, `Proposals (${data.items.length})`),
      data.items.length ? h("div", { class: "table-wrap" }, h("table", { class: "data", id: "officer-proposal-table" },
        h("caption", { class: "visually-hidden" }, "Proposals of the call"),
        h("thead", {}, h("tr", {}, ["Proposal", "Lead", "Countries", "Status", "Reviewers", "Action"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, data.items.map((r) => h("tr", { dataset: { proposal: r.proposal_id } },
          h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", onclick: () => openProposal(r.proposal_id) }, r.title)),
          h("td", {}, r.lead.name, " — ", country(r.lead.country)),
          h("td", {}, r.countries.join(", ")),
          h("td", {}, stateBadge(r.state)),
          h("td", {}, r.reviewers.length ? r.reviewers.map((x) => x.name).join(", ") : h("span", { class: "muted" }, "none")),
          h("td", {}, r.state === "submitted"
            ? h("button", { type: "button", class: "button button-small", onclick: (e) => move([r], e.currentTarget) },
              "Move to review", h("span", { class: "visually-hidden" }, `: ${r.title}`))
            : "—")))))) : notice("info", "No proposal has been written to this call yet."),
      submitted.length > 1
        ? h("div", { class: "actions" }, h("button", { type: "button", class: "button", onclick: (e) => move(submitted, e.currentTarget) }, `Move all ${submitted.length} submitted proposals to review`))
        : null,
      result);
  }

  function assignmentSection(data) {
    const result = h("div", { class: "assignment-result", "aria-live": "polite" });
    const form = h("form", { class: "form inline-form", novalidate: true },
      field({ label: "Reviewers per proposal", name: "per_proposal", type: "number", min: 1, max: 20, step: 1, value: "3", required: true,
        hint: "Each submitted or under-review proposal gets this many reviewers without a conflict of interest." }),
      field({ label: "Most proposals per reviewer (optional)", name: "capacity", type: "number", min: 0, step: 1,
        hint: "Leave empty for no bound; the load is balanced either way." }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Assign reviewers")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      const per = Number(form.elements.namedItem("per_proposal").value);
      const cap = form.elements.namedItem("capacity").value.trim();
      const body = { per_proposal: per };
      if (cap !== "") body.capacity = Number(cap);
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const got = await api(`/calls/${encodeURIComponent(data.call_id)}/review-assignments`, { method: "POST", json: body });
        const assigned = Object.keys(got.reviewers).length;
        announce("Reviewers assigned");
        await show(data.call_id, notice("success", `Reviewers assigned to ${assigned} proposal${assigned === 1 ? "" : "s"} (solver: ${got.status}).`));
      } catch (error) {
        showProblem(form, error);
        button.disabled = false;
      }
    });
    const reviewed = data.items.filter((r) => ["submitted", "under_review"].includes(r.state)).length;
    return h("section", { "aria-labelledby": "officer-assign" },
      h("h3", { id: "officer-assign" }, "Reviewer assignment"),
      h("p", { class: "muted" }, `${reviewed} proposal${reviewed === 1 ? "" : "s"} submitted or under review. Assigning again replaces the call's assignment (refused once reviews exist).`),
      form, result);
  }

  function rankingSection(data) {
    const ranked = data.items.filter((r) => r.rank !== null);
    const crit = data.criteria;
    const reviews = data.items.flatMap((r) => r.reviews.map((v) => ({ ...v, title: r.title })));
    return h("section", { "aria-labelledby": "officer-ranking" },
      h("h3", { id: "officer-ranking" }, "Ranking"),
      h("p", { class: "muted" }, `Aggregate: severity-normalised weighted total (0 to 1), trimmed mean dropping ${data.trim} review at each end when a proposal has at least ${2 * data.trim + 2}. Criteria are scored ${crit[0]?.low ?? 1} to ${crit[0]?.high ?? 5}; the columns show each criterion's mean score.`),
      ranked.length ? h("div", { class: "table-wrap" }, h("table", { class: "data", id: "ranking" },
        h("caption", { class: "visually-hidden" }, "Ranking with per-criterion mean scores"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", class: "num" }, "Rank"), h("th", { scope: "col" }, "Proposal"),
          h("th", { scope: "col", class: "num" }, "Aggregate"), h("th", { scope: "col", class: "num" }, "Raw mean"), h("th", { scope: "col", class: "num" }, "Reviews"),
          crit.map((c) => h("th", { scope: "col", class: "num" }, `${c.name} (×${c.weight})`)))),
        h("tbody", {}, ranked.map((r) => h("tr", {},
          h("td", { class: "num" }, r.rank), h("th", { scope: "row" }, r.title),
          h("td", { class: "num" }, num(r.aggregate, 3)), h("td", { class: "num" }, num(r.raw_mean, 3)), h("td", { class: "num" }, r.reviews.length),
          crit.map((c) => h("td", { class: "num" }, num(r.criteria_means[c.name], 2)))))))) : notice("info", "No review has been written for this call yet, so there is no ranking."),
      reviews.length ? h("details", { class: "reviews-detail" },
        h("summary", {}, `Every review (${reviews.length})`),
        h("div", { class: "table-wrap" }, h("table", { class: "data" },
          h("caption", { class: "visually-hidden" }, "Every review with its scores"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Proposal"), h("th", { scope: "col" }, "Reviewer"),
            crit.map((c) => h("th", { scope: "col", class: "num" }, c.name)),
            h("th", { scope: "col", class: "num" }, "Total"), h("th", { scope: "col", class: "num" }, "Adjusted"), h("th", { scope: "col" }, "Submitted"), h("th", { scope: "col" }, "Comment"))),
          h("tbody", {}, reviews.map((v) => h("tr", {},
            h("th", { scope: "row" }, v.title), h("td", {}, v.reviewer_name, v.trimmed ? " (trimmed)" : ""),
            crit.map((c) => h("td", { class: "num" }, num(v.scores[c.name]))),
            h("td", { class: "num" }, num(v.total, 3)), h("td", { class: "num" }, num(v.adjusted, 3)),
            h("td", {}, fmtUtc(v.submitted_at)), h("td", {}, v.comment || "—"))))))) : null);
  }

  function selectionSection(data) {
    const titles = Object.fromEntries(data.items.map((r) => [r.proposal_id, r.title]));
    const out = h("div", { class: "selection-result", "aria-live": "polite" });
    const form = h("form", { class: "form inline-form", novalidate: true },
      field({ label: "Least number of countries", name: "min_countries", type: "number", min: 0, max: 1000, step: 1, value: "0",
        hint: "Countries of the selected teams (lead or partner); 0 for no rule." }),
      field({ label: "Least share with a least developed country", name: "ldc_min_share", type: "number", min: 0, max: 1, step: 0.05, value: "0",
        hint: "0 to 1: the share of selected proposals led by or including an LDC (UN list)." }),
      field({ label: "Solver time limit (s)", name: "time_limit_s", type: "number", min: 1, max: 30, step: 1, value: "10" }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Run the selection")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      const value = (n) => Number(form.elements.namedItem(n).value);
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      fill(out, loading("Choosing the portfolio…"));
      try {
        const s = await api(`/calls/${encodeURIComponent(data.call_id)}/selection`, {
          method: "POST", json: { min_countries: value("min_countries"), ldc_min_share: value("ldc_min_share"), time_limit_s: value("time_limit_s") },
        });
        fill(out, explanation(s, titles));
        announce(`Selection done: ${s.selected.length} selected`);
        out.querySelector("h4")?.focus();
      } catch (error) {
        fill(out);
        showProblem(form, error);
      } finally {
        button.disabled = false;
      }
    });
    return h("section", { "aria-labelledby": "officer-selection" },
      h("h3", { id: "officer-selection" }, "Selection"),
      h("p", { class: "muted" }, "Chooses the portfolio with the highest total review score within the call's envelope and the breadth rules. It changes no proposal's state."),
      form, out);
  }

  function explanation(s, titles) {
    const name = (id) => titles[id] || id;
    return h("article", { class: "card stack explanation" },
      h("h4", { tabindex: "-1" }, `Selection: ${s.selected.length} proposal${s.selected.length === 1 ? "" : "s"} chosen`),
      facts([
        ["Pool", s.pool === "shortlisted" ? "the shortlisted proposals" : "the proposals under review (none is shortlisted yet)"],
        ["Solver", `${s.status}; total score ${num(s.objective, 3)} (bound ${num(s.bound, 3)})`],
        ["Chosen", s.selected.length ? h("ul", { class: "plain" }, s.selected.map((id) => h("li", {}, name(id)))) : "none"],
        ["Countries", s.countries.length ? h("span", {}, s.countries.map((c, i) => [i ? ", " : "", country(c)])) : "none"],
        ["Breadth rules", `at least ${s.min_countries} countr${s.min_countries === 1 ? "y" : "ies"}; at least ${num(s.ldc_min_share * 100, 0)} % with a least developed country`],
        ["LDC proposals", `${s.ldc_proposals} of ${s.selected.length} selected proposals are led by or include a least developed country`],
      ]),
      h("p", { class: "muted" }, "Nothing was changed: to apply a decision, open the proposal in the table above and change its state (shortlist, select, reject)."),
      h("h5", {}, "Use of the call's envelope"),
      h("div", { class: "table-wrap" }, h("table", { class: "data usage" },
        h("caption", { class: "visually-hidden" }, "Resources used by the selection against the envelope"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Resource"), h("th", { scope: "col", class: "num" }, "Used"), h("th", { scope: "col", class: "num" }, "Envelope"), h("th", { scope: "col" }, "Share"))),
        h("tbody", {}, RESOURCES.filter((r) => s.usage[r.name]).map((r) => {
          const u = s.usage[r.name];
          const share = u.envelope > 0 ? u.used / u.envelope : 0;
          return h("tr", {}, h("th", { scope: "row" }, r.label),
            h("td", { class: "num" }, `${num(u.used)} ${r.unit}`), h("td", { class: "num" }, `${num(u.envelope)} ${r.unit}`),
            h("td", {}, h("progress", { max: 1, value: Math.min(share, 1), "aria-label": `${r.label}: ${num(share * 100, 0)} % of the envelope` }), ` ${num(share * 100, 0)} %`));
        })))),
      h("h5", {}, "Every proposal of the call"),
      h("div", { class: "table-wrap" }, h("table", { class: "data outcomes", id: "selection-outcomes" },
        h("caption", { class: "visually-hidden" }, "Why each proposal was or was not chosen"),
        h("thead", {}, h("tr", {}, ["Proposal", "Status", "Score", "Outcome", "Why"].map((t, i) => h("th", { scope: "col", class: i === 2 ? "num" : null }, t)))),
        h("tbody", {}, s.proposals.map((o) => h("tr", { dataset: { proposal: o.proposal_id, kind: o.kind } },
          h("th", { scope: "row" }, name(o.proposal_id)),
          h("td", {}, STATE_LABELS[o.state] || o.state),
          h("td", { class: "num" }, num(o.score, 3)),
          h("td", {}, h("span", { class: `badge ${o.selected ? "badge-ok" : o.kind === "does-not-fit" || o.kind === "excluded" ? "badge-error" : "badge-warn"}` }, KIND_LABELS[o.kind] || o.kind)),
          h("td", {}, o.reason,
            o.dropped.length ? h("div", { class: "muted small" }, `Would drop: ${o.dropped.map(name).join(", ")}`) : null,
            o.added.length ? h("div", { class: "muted small" }, `Would add: ${o.added.map(name).join(", ")}`) : null)))))));
  }

  function decisionForm(p) {
    const targets = p.next_states.filter((t) => !["submitted", "withdrawn"].includes(t));
    if (!targets.length) return h("p", { class: "muted" }, `No further state change: the proposal is ${STATE_LABELS[p.state].toLowerCase()}.`);
    const form = h("form", { class: "form decision-form", novalidate: true, "aria-labelledby": "decision-title" },
      h("h4", { id: "decision-title" }, "Change its state"),
      field({ label: "New state", name: "to", type: "select", value: targets[0],
        options: targets.map((t) => ({ value: t, label: STATE_LABELS[t] || t })) }),
      field({ label: "Reason", name: "why", type: "textarea", maxlength: 2000,
        hint: "Required for rejected and conditionally selected: the partner reads it in the status history." }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Apply")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      const to = form.elements.namedItem("to").value;
      const why = form.elements.namedItem("why").value.trim();
      if (["rejected", "conditionally_selected"].includes(to) && !why) {
        showProblem(form, fieldProblem([{ field: "why", message: `Say why the proposal is ${STATE_LABELS[to].toLowerCase()}: the partner is told.` }]));
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        await transition(p.id, to, why);
        announce(`Proposal ${STATE_LABELS[to].toLowerCase()}`);
        await show(current.id, notice("success", `“${p.title}” is now ${STATE_LABELS[to].toLowerCase()}.`));
        await openProposal(p.id);
      } catch (error) {
        showProblem(form, error);
        button.disabled = false;
      }
    });
    return form;
  }

  function settingsSection(data) {
    const form = h("form", { class: "form inline-form", novalidate: true },
      field({ label: "Review stage", name: "stage", type: "select", value: data.stage,
        hint: "Individual: reviewers score alone. Panel: they read each other's reviews. Decided: closed.",
        options: [["individual", "Individual"], ["panel", "Panel"], ["decided", "Decided"]].map(([value, label]) => ({ value, label })) }),
      h("div", { class: "field checkbox-field" },
        h("label", {}, h("input", { type: "checkbox", name: "double_anonymous", checked: data.double_anonymous }), " Double-anonymous"),
        h("p", { class: "hint" }, "Reviewers see no team and no countries.")),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-quiet" }, "Save review settings")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      try {
        await api(`/calls/${encodeURIComponent(data.call_id)}/review-settings`, {
          method: "PUT", json: { stage: form.elements.namedItem("stage").value, double_anonymous: form.elements.namedItem("double_anonymous").checked },
        });
        announce("Review settings saved");
        await show(data.call_id, notice("success", "Review settings saved."));
      } catch (error) {
        showProblem(form, error);
      }
    });
    return h("details", { class: "settings-detail" }, h("summary", {}, "Review settings (stage, anonymity)"), form);
  }

  async function openProposal(id) {
    setParams({ proposal: id });
    fill(detail, loading("Loading the proposal…"));
    try {
      const [p, audit, files] = await Promise.all([
        api(`/proposals/${encodeURIComponent(id)}`),
        api(`/proposals/${encodeURIComponent(id)}/audit`),
        api(`/proposals/${encodeURIComponent(id)}/attachments`),
      ]);
      const base = `/api/v1/proposals/${encodeURIComponent(id)}/attachments`;
      fill(detail, h("article", { class: "card stack proposal-detail", "aria-labelledby": "officer-proposal-title" },
        h("div", { class: "section-head" }, h("h3", { id: "officer-proposal-title" }, p.title, " ", stateBadge(p.state)),
          h("button", { type: "button", class: "button button-quiet button-small", onclick: () => { fill(detail); setParams({ proposal: null }); } }, "Close")),
        facts([
          ["Proposal id", h("code", {}, p.id)],
          ["Discipline", p.discipline],
          ["Modality", modalityLabel(p.modality)],
          ["Team", h("ul", { class: "plain" }, [p.team.lead, ...p.team.partners].map((m, i) => h("li", {}, m.name, " — ", country(m.country), i === 0 ? " (lead)" : "")))],
          ["Abstract", p.abstract || "—"],
          ["Attachments", files.items.length ? h("ul", { class: "plain" }, files.items.map((f) => h("li", {}, h("a", { href: `${base}/${f.sha256}`, download: f.filename }, f.filename)))) : "none"],
          ["Status history", h("ul", { class: "plain" }, [`${fmtUtc(p.created_at)}: created as a draft`,
            ...audit.items.map((e) => `${fmtUtc(e.at)}: ${STATE_LABELS[e.from]} → ${STATE_LABELS[e.to]} (${e.actor_role.replace("_", " ")})${e.why ? ` — ${e.why}` : ""}`)].map((t) => h("li", {}, t)))],
        ]),
        resourceTable("Resources requested", p.request),
        decisionForm(p)));
      detail.focus();
    } catch (error) {
      fill(detail, errorNotice(error));
    }
  }

  await show(initial.id);
  if (params.get("proposal")) openProposal(params.get("proposal"));
}
