// Program page, partner section: my proposals, a proposal's detail with its status history and
// attachments, the proposal form (create and edit drafts), submit and withdraw.
import {
  api, request, h, session, field, showProblem, clearProblems, errorNotice, notice, announce, fmtUtc, ApiError,
} from "./app.js";
import {
  RESOURCES, MODALITIES, STATE_LABELS, stateBadge, modalityLabel, when, facts, resourceTable, country,
  fieldProblem, transition, loading, fill, num,
} from "./program-common.js";

const MAX_MB = 20;

export function partnerPanel({ loadCalls, setParams, params, selectTab }) {
  let panel = null;
  let listBox = null;
  let work = null;
  let pending = null; // an action asked for before the panel was drawn

  async function start(el) {
    panel = el;
    listBox = h("div", { class: "proposal-list" });
    work = h("div", { class: "work-area", tabindex: "-1" });
    fill(panel,
      h("div", { class: "section-head" },
        h("h2", {}, "My proposals"),
        h("button", { class: "button", type: "button", onclick: () => newProposal() }, "New proposal")),
      listBox, work);
    await refreshList();
    if (pending) {
      const run = pending;
      pending = null;
      run();
    } else if (params.get("proposal")) {
      openProposal(params.get("proposal"), { focus: false });
    }
  }

  async function refreshList() {
    fill(listBox, loading("Loading your proposals…"));
    let page;
    let calls = [];
    try {
      [page, calls] = await Promise.all([api("/proposals", { query: { limit: 200 } }), loadCalls().catch(() => [])]);
    } catch (error) {
      fill(listBox, errorNotice(error));
      return;
    }
    const titles = Object.fromEntries(calls.map((c) => [c.id, c.title]));
    if (!page.items.length) {
      fill(listBox, notice("info", "You have no proposals yet. Choose “New proposal”, or open a call in the Calls tab."));
      return;
    }
    fill(listBox, h("div", { class: "table-wrap" }, h("table", { class: "data", id: "my-proposals" },
      h("caption", { class: "visually-hidden" }, "My proposals"),
      h("thead", {}, h("tr", {}, ["Title", "Call", "Status", "Last change"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, page.items.map((p) => h("tr", { dataset: { proposal: p.id } },
        h("th", { scope: "row" }, h("a", { href: `/program?proposal=${encodeURIComponent(p.id)}`, onclick: (e) => { e.preventDefault(); openProposal(p.id); } }, p.title)),
        h("td", {}, titles[p.call_id] || p.call_id),
        h("td", {}, stateBadge(p.state)),
        h("td", {}, fmtUtc(p.updated_at))))))));
  }

  // --- the form ---------------------------------------------------------------------------------

  async function newProposal(callId) {
    if (!work) {
      pending = () => newProposal(callId);
      return;
    }
    setParams({ proposal: null });
    fill(work, loading("Loading the open calls…"));
    let calls;
    try {
      calls = (await loadCalls()).filter((c) => c.open_now);
    } catch (error) {
      fill(work, errorNotice(error));
      return;
    }
    if (!calls.length) {
      fill(work, notice("info", "No call is open for proposals right now; see the Calls tab for deadlines."));
      return;
    }
    fill(work, proposalForm({ calls, callId: callId || calls[0].id }));
    work.querySelector("input, select")?.focus();
  }

  function partnerRow(index, value = {}) {
    const row = h("div", { class: "partner-row", dataset: { index } },
      field({ label: `Partner institution ${index + 1}`, name: `team.partners[${index}].name`, value: value.name || "", autocomplete: "organization" }),
      field({ label: `Country of partner ${index + 1}`, name: `team.partners[${index}].country`, value: value.country || "", hint: "Two letters (ISO 3166), e.g. PE", maxlength: 2, class: "country-input" }),
      h("button", { type: "button", class: "button button-quiet button-small", onclick: () => { row.remove(); announce("Partner institution removed"); } },
        "Remove", h("span", { class: "visually-hidden" }, ` partner institution ${index + 1}`)));
    return row;
  }

  function proposalForm({ calls, callId, proposal, etag }) {
    const editing = Boolean(proposal);
    const callOf = (id) => calls.find((c) => c.id === id) || calls[0];
    let call = callOf(callId);
    const modalityBox = h("div");
    const envelopeHint = h("p", { class: "hint", id: "request-hint" });
    const drawCallParts = () => {
      const current = proposal?.modality || modalityBox.querySelector("select")?.value;
      fill(modalityBox, field({
        label: "Modality", name: "modality", type: "select", required: true, value: current,
        hint: "How the project uses the station; the call offers these.",
        options: [{ value: "", label: "Choose…" }, ...call.modalities.map((m) => ({ value: m, label: MODALITIES[m] || m }))],
      }));
      envelopeHint.textContent = "Give at least one amount above zero. The call's whole envelope: " +
        RESOURCES.map((r) => `${r.label.toLowerCase()} ${num(call.envelope[r.name]?.amount ?? 0)} ${r.unit}`).join(", ") + ".";
    };
    drawCallParts();
    const partners = h("div", { class: "partner-rows" },
      (proposal?.team.partners || []).map((m, i) => partnerRow(i, m)));
    let next = partners.children.length;
    const form = h("form", { class: "form proposal-form", novalidate: true, "aria-labelledby": "proposal-form-title" },
      h("h3", { id: "proposal-form-title" }, editing ? `Edit draft: ${proposal.title}` : "New proposal"),
      h("p", { class: "muted" }, "Fields marked * are required. The proposal is saved as a draft; you submit it afterwards."),
      editing
        ? h("p", {}, "Call: ", h("strong", {}, call.title))
        : field({ label: "Call", name: "call_id", type: "select", required: true, value: call.id,
          hint: "Only calls open now are listed.",
          options: calls.map((c) => ({ value: c.id, label: `${c.title} (closes ${fmtUtc(c.closes_at)})` })),
          onchange: (e) => { call = callOf(e.target.value); drawCallParts(); } }),
      field({ label: "Title", name: "title", required: true, maxlength: 300, value: proposal?.title || "" }),
      field({ label: "Discipline", name: "discipline", required: true, maxlength: 200, value: proposal?.discipline || "", hint: "e.g. microgravity fluid physics, space life sciences" }),
      modalityBox,
      field({ label: "Abstract", name: "abstract", type: "textarea", maxlength: 20000, value: proposal?.abstract || "", hint: "What the project will do and why (up to 20,000 characters)." }),
      h("fieldset", { class: "team" },
        h("legend", {}, "Team"),
        field({ label: "Lead institution", name: "team.lead.name", required: true, autocomplete: "organization", value: proposal?.team.lead.name || session?.partnerOrg || "" }),
        field({ label: "Country of the lead institution", name: "team.lead.country", required: true, maxlength: 2, class: "country-input", value: proposal?.team.lead.country || "", hint: "Two letters (ISO 3166), e.g. KE; must be a UN member state." }),
        partners,
        h("button", { type: "button", class: "button button-quiet button-small", onclick: () => {
          const row = partnerRow(next++);
          partners.append(row);
          row.querySelector("input").focus();
        } }, "Add a partner institution")),
      h("fieldset", { class: "field request", "data-field": "request", "aria-describedby": "request-hint", tabindex: "-1" },
        h("legend", {}, "Resources requested ", h("span", { class: "required", "aria-hidden": "true" }, "*")),
        envelopeHint,
        h("div", { class: "request-grid" }, RESOURCES.map((r) => field({
          label: `${r.label} (${r.unit})`, name: `request.${r.name}`, type: "number", min: 0, step: "any", inputmode: "decimal",
          value: proposal ? String(proposal.request[r.name]?.amount ?? 0) : "0",
        })))),
      h("div", { class: "actions" },
        h("button", { class: "button", type: "submit" }, editing ? "Save changes" : "Save draft"),
        h("button", { class: "button button-quiet", type: "button", onclick: () => (editing ? openProposal(proposal.id) : fill(work)) }, "Cancel")));

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      const value = (name) => (form.elements.namedItem(name)?.value ?? "").trim();
      const errors = [];
      const required = [["title", "Give the proposal a title."], ["discipline", "Name the discipline, e.g. space life sciences."],
        ["modality", "Choose one of the call's modalities."], ["team.lead.name", "Give the lead institution's full name."]];
      for (const [name, message] of required) if (!value(name)) errors.push({ field: name, message });
      const countryOk = (v) => /^[A-Za-z]{2}$/.test(v);
      if (!countryOk(value("team.lead.country"))) errors.push({ field: "team.lead.country", message: "Write the country as two letters, e.g. KE." });
      const team = { lead: { name: value("team.lead.name"), country: value("team.lead.country").toUpperCase() }, partners: [] };
      for (const row of partners.querySelectorAll(".partner-row")) {
        const i = row.dataset.index;
        const name = value(`team.partners[${i}].name`);
        const code = value(`team.partners[${i}].country`);
        if (!name && !code) continue;
        if (!name) errors.push({ field: `team.partners[${i}].name`, message: "Give the partner institution's name, or remove the row." });
        if (!countryOk(code)) errors.push({ field: `team.partners[${i}].country`, message: "Write the country as two letters, e.g. PE." });
        team.partners.push({ name, country: code.toUpperCase() });
      }
      const amounts = {};
      for (const r of RESOURCES) {
        const raw = value(`request.${r.name}`);
        const n = raw === "" ? 0 : Number(raw);
        if (!Number.isFinite(n) || n < 0) errors.push({ field: `request.${r.name}`, message: `Give a number of ${r.unit}, 0 or more.` });
        amounts[r.name] = n;
      }
      if (!errors.some((e) => e.field.startsWith("request.")) && !Object.values(amounts).some((n) => n > 0)) {
        errors.push({ field: "request", message: "Ask for at least one resource above zero." });
      }
      if (errors.length) {
        showProblem(form, fieldProblem(errors));
        return;
      }
      const body = { title: value("title"), discipline: value("discipline"), modality: value("modality"), team, request: amounts, abstract: value("abstract") };
      const submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      try {
        let saved;
        if (editing) {
          saved = (await request(`/proposals/${encodeURIComponent(proposal.id)}`, { method: "PATCH", json: body, headers: { "If-Match": etag } })).data;
        } else {
          saved = (await request(`/calls/${encodeURIComponent(value("call_id"))}/proposals`, { method: "POST", json: body })).data;
        }
        announce(editing ? "Draft saved" : "Draft created");
        await refreshList();
        await openProposal(saved.id, { message: notice("success", editing ? "Your changes are saved." : "Your draft is saved. Add attachments, then submit it before the deadline.") });
      } catch (error) {
        showProblem(form, error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // --- a proposal -------------------------------------------------------------------------------

  async function openProposal(id, { focus = true, message = null } = {}) {
    setParams({ proposal: id, tab: "mine" });
    fill(work, loading("Loading the proposal…"));
    let proposal;
    let etag;
    let audit;
    let files;
    let calls = [];
    try {
      const got = await request(`/proposals/${encodeURIComponent(id)}`);
      proposal = got.data;
      etag = got.headers.get("ETag");
      [audit, files, calls] = await Promise.all([
        api(`/proposals/${encodeURIComponent(id)}/audit`),
        api(`/proposals/${encodeURIComponent(id)}/attachments`),
        loadCalls().catch(() => []),
      ]);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        const missing = notice("error", "No such proposal, or it is not yours: check the link, or choose one of your proposals above.");
        missing.classList.add("not-found");
        fill(work, missing);
      } else {
        fill(work, errorNotice(error));
      }
      if (focus) work.focus();
      return;
    }
    const call = calls.find((c) => c.id === proposal.call_id);
    const result = h("div", { class: "action-result", "aria-live": "polite" });
    const draft = proposal.state === "draft";

    const act = async (button, to, why = "") => {
      button.disabled = true;
      fill(result);
      try {
        await transition(proposal.id, to, why);
        announce(`Proposal ${STATE_LABELS[to].toLowerCase()}`);
        await refreshList();
        await openProposal(proposal.id, { message: notice("success", `The proposal is now ${STATE_LABELS[to].toLowerCase()}.`) });
      } catch (error) {
        fill(result, errorNotice(error));
        button.disabled = false;
      }
    };

    const withdrawBox = h("div", { class: "withdraw-box", hidden: true });
    const withdrawForm = h("form", { class: "form" },
      field({ label: "Why do you withdraw it? (optional)", name: "why", type: "textarea", maxlength: 2000 }),
      h("div", { class: "actions" },
        h("button", { class: "button", type: "submit" }, "Confirm withdrawal"),
        h("button", { class: "button button-quiet", type: "button", onclick: () => { withdrawBox.hidden = true; } }, "Keep the proposal")));
    withdrawForm.addEventListener("submit", (e) => {
      e.preventDefault();
      act(withdrawForm.querySelector('button[type="submit"]'), "withdrawn", withdrawForm.elements.namedItem("why").value);
    });
    withdrawBox.append(withdrawForm);

    const actions = h("div", { class: "actions" },
      draft ? h("button", { class: "button button-quiet", type: "button", onclick: async () => {
        fill(work, proposalForm({ calls: call ? [call] : [], callId: proposal.call_id, proposal, etag }));
        work.querySelector("input")?.focus();
      } }, "Edit draft") : null,
      proposal.next_states.includes("submitted")
        ? h("button", { class: "button", type: "button", onclick: (e) => act(e.currentTarget, "submitted") }, "Submit proposal")
        : null,
      proposal.next_states.includes("withdrawn")
        ? h("button", { class: "button button-quiet", type: "button", onclick: () => { withdrawBox.hidden = false; withdrawForm.querySelector("textarea").focus(); } }, "Withdraw…")
        : null);

    const team = [proposal.team.lead, ...proposal.team.partners];
    fill(work, h("article", { class: "card stack proposal-detail", "aria-labelledby": "proposal-title", dataset: { proposal: proposal.id } },
      message,
      h("h3", { id: "proposal-title" }, proposal.title, " ", stateBadge(proposal.state)),
      facts([
        ["Proposal id", h("code", {}, proposal.id)],
        ["Call", call ? [call.title, " — deadline ", when(call.closes_at)] : proposal.call_id],
        ["Discipline", proposal.discipline],
        ["Modality", modalityLabel(proposal.modality)],
        ["Team", h("ul", { class: "plain" }, team.map((m, i) => h("li", {}, m.name, " — ", country(m.country), i === 0 ? " (lead)" : "")))],
        ["Created", fmtUtc(proposal.created_at)],
        ["Last change", fmtUtc(proposal.updated_at)],
      ]),
      proposal.abstract ? [h("h4", {}, "Abstract"), h("p", { class: "abstract" }, proposal.abstract)] : null,
      h("h4", {}, "Resources requested"),
      resourceTable("Resources requested", proposal.request),
      actions.children.length ? actions : null,
      withdrawBox,
      result,
      historySection(proposal, audit),
      attachmentsSection(proposal, files)));
    if (focus) work.focus();
  }

  function historySection(proposal, audit) {
    return h("section", { "aria-labelledby": "history-title" },
      h("h4", { id: "history-title" }, "Status history"),
      h("div", { class: "table-wrap" }, h("table", { class: "data history" },
        h("caption", { class: "visually-hidden" }, "Status history, oldest first"),
        h("thead", {}, h("tr", {}, ["When (UTC)", "Change", "By", "Why"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {},
          h("tr", {}, h("td", {}, fmtUtc(proposal.created_at)), h("td", {}, "Created as a draft"), h("td", {}, "partner"), h("td", {}, "—")),
          audit.items.map((e) => h("tr", {},
            h("td", {}, fmtUtc(e.at)),
            h("td", {}, `${STATE_LABELS[e.from] || e.from} → `, stateBadge(e.to)),
            h("td", {}, e.actor_role.replace("_", " ")),
            h("td", {}, e.why || "—")))))));
  }

  function attachmentsSection(proposal, files) {
    const base = `/api/v1/proposals/${encodeURIComponent(proposal.id)}/attachments`;
    const list = files.items.length
      ? h("ul", { class: "attachments" }, files.items.map((f) => h("li", {},
        h("a", { href: `${base}/${f.sha256}`, download: f.filename }, f.filename),
        h("span", { class: "muted" }, ` — PDF, ${f.size_bytes < 1000 ? `${f.size_bytes} bytes` : `${num(f.size_bytes / 1000, 1)} kB`}`))))
      : h("p", { class: "muted" }, "No files attached.");
    let upload = null;
    if (proposal.state === "draft") {
      upload = h("form", { class: "form upload-form" },
        field({ label: "Attach a file", name: "file", type: "file", accept: "application/pdf,.pdf", required: true,
          hint: `PDF only, up to ${MAX_MB} MB. Files can be added while the proposal is a draft.` }),
        h("div", { class: "actions" }, h("button", { class: "button", type: "submit" }, "Upload")));
      upload.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearProblems(upload);
        const input = upload.elements.namedItem("file");
        const file = input.files && input.files[0];
        if (!file) {
          showProblem(upload, fieldProblem([{ field: "file", message: "Choose a PDF file to upload." }]));
          return;
        }
        if (file.size > MAX_MB * 1000 * 1000) {
          showProblem(upload, fieldProblem([{ field: "file", message: `The file is ${num(file.size / 1e6, 1)} MB: send a PDF of at most ${MAX_MB} MB.` }]));
          return;
        }
        const form = new FormData();
        form.append("file", file);
        const button = upload.querySelector('button[type="submit"]');
        button.disabled = true;
        try {
          await api(`/proposals/${encodeURIComponent(proposal.id)}/attachments`, { method: "POST", form });
          announce(`${file.name} uploaded`);
          await openProposal(proposal.id, { focus: false, message: notice("success", `${file.name} is attached.`) });
        } catch (error) {
          // The API's refusal (not a PDF, too large, a bad name) belongs next to the file field.
          const shown = error instanceof ApiError && !error.fieldErrors.length
            ? new ApiError(error.status, { ...error.problem, errors: [{ field: "file", message: error.message }] })
            : error;
          showProblem(upload, shown);
          button.disabled = false;
        }
      });
    }
    return h("section", { "aria-labelledby": "files-title" }, h("h4", { id: "files-title" }, "Attachments"), list, upload);
  }

  return { start, newProposal, openProposal, selectTab };
}
