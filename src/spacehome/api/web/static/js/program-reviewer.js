// Program page, reviewer section: my assigned proposals (conflicted ones are hidden by the API),
// and a scoring form per criterion on the API's scale, with a comment.
import { api, h, showProblem, clearProblems, errorNotice, notice, announce, fmtUtc, field } from "./app.js";
import { modalityLabel, facts, resourceTable, country, fieldProblem, loading, fill, num } from "./program-common.js";

export async function reviewerPanel(panel) {
  const list = h("div", { class: "review-list" });
  const work = h("div", { class: "work-area", tabindex: "-1" });
  fill(panel, h("h2", {}, "Proposals assigned to me"), list, work);

  async function refresh(openId = null, message = null) {
    fill(list, loading("Loading your assignments…"));
    let desk;
    try {
      desk = await api("/program/reviewer-desk");
    } catch (error) {
      fill(list, errorNotice(error));
      return;
    }
    if (!desk.profile) {
      fill(list, notice("info", "You have no reviewer profile yet: a program officer creates it (institution, country), then assigns proposals to you."));
      return;
    }
    if (!desk.items.length) {
      fill(list, notice("info", "No proposal is assigned to you at the moment. Proposals you have a conflict of interest on are never shown."));
      return;
    }
    fill(list,
      h("p", { class: "muted" }, "Proposals on which you have a conflict of interest are not listed."),
      h("div", { class: "table-wrap" }, h("table", { class: "data", id: "assigned" },
        h("caption", { class: "visually-hidden" }, "Proposals assigned to me"),
        h("thead", {}, h("tr", {}, ["Proposal", "Call", "Stage", "My review"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, desk.items.map((item) => h("tr", { dataset: { proposal: item.proposal.id } },
          h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", onclick: () => open(item, desk.criteria) }, item.proposal.title)),
          h("td", {}, item.proposal.call_id),
          h("td", {}, item.stage),
          h("td", {}, item.review
            ? h("span", { class: "badge badge-ok" }, `Submitted ${fmtUtc(item.review.submitted_at)}`)
            : h("span", { class: "badge badge-warn" }, "Not yet scored"))))))));
    const again = openId && desk.items.find((i) => i.proposal.id === openId);
    if (again) open(again, desk.criteria, message);
  }

  function open(item, criteria, message = null) {
    const p = item.proposal;
    const mine = item.review;
    const form = h("form", { class: "form score-form", "aria-labelledby": "score-title", novalidate: true },
      h("h4", { id: "score-title" }, mine ? "My review (you may change it while the stage is individual)" : "Score the proposal"),
      criteria.map((c) => {
        const id = `crit-${c.name.replace(/[^a-z0-9]+/gi, "-")}`;
        const values = [];
        for (let v = c.low; v <= c.high; v += 1) values.push(v);
        return h("fieldset", { class: "field criterion", "data-field": c.name, "aria-describedby": `${id}-hint`, tabindex: "-1" },
          h("legend", {}, `${c.name[0].toUpperCase()}${c.name.slice(1)}`, h("span", { class: "required", "aria-hidden": "true" }, " *")),
          h("p", { class: "hint", id: `${id}-hint` }, `Weight ${num(c.weight * 100, 0)} %. ${c.low} = poor, ${c.high} = excellent.`),
          h("div", { class: "scale" }, values.map((v) => h("label", { class: "scale-option" },
            h("input", { type: "radio", name: `score:${c.name}`, value: v, checked: mine ? mine.scores[c.name] === v : false, disabled: !item.may_write }),
            ` ${v}`))));
      }),
      field({ label: "Comment", name: "comment", type: "textarea", value: mine?.comment || "", maxlength: 20000, disabled: !item.may_write,
        hint: "For the panel and the program officer; the partner does not see reviews." }),
      item.may_write
        ? h("div", { class: "actions" }, h("button", { class: "button", type: "submit" }, mine ? "Update my review" : "Submit review"))
        : notice("info", `The call is at the ${item.stage} stage: reviews can no longer be changed.`));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form);
      const scores = {};
      const errors = [];
      for (const c of criteria) {
        const chosen = form.querySelector(`input[name="${CSS.escape(`score:${c.name}`)}"]:checked`);
        if (!chosen) errors.push({ field: c.name, message: `Score ${c.name} from ${c.low} to ${c.high}.` });
        else scores[c.name] = Number(chosen.value);
      }
      if (errors.length) {
        showProblem(form, fieldProblem(errors));
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        await api(`/proposals/${encodeURIComponent(p.id)}/reviews/mine`, {
          method: "PUT", json: { scores, comment: form.elements.namedItem("comment").value },
        });
        announce("Review submitted");
        await refresh(p.id, notice("success", "Your review is submitted."));
      } catch (error) {
        showProblem(form, error);
        button.disabled = false;
      }
    });
    fill(work, h("article", { class: "card stack review-detail", "aria-labelledby": "review-proposal-title", dataset: { proposal: p.id } },
      message,
      h("h3", { id: "review-proposal-title" }, p.title),
      mine ? h("p", { class: "badge badge-ok submitted-state" }, `Review submitted ${fmtUtc(mine.submitted_at)}`) : null,
      facts([
        ["Proposal id", h("code", {}, p.id)],
        ["Call", p.call_id],
        ["Discipline", p.discipline],
        ["Modality", modalityLabel(p.modality)],
        ["Team", p.anonymised || !p.team
          ? "Hidden: this call is reviewed double-anonymously."
          : h("ul", { class: "plain" }, p.team.map((m, i) => h("li", {}, m.name, " — ", country(m.country), i === 0 ? " (lead)" : "")))],
      ]),
      p.abstract ? [h("h4", {}, "Abstract"), h("p", { class: "abstract" }, p.abstract)] : null,
      h("h4", {}, "Resources requested"),
      resourceTable("Resources requested", p.request),
      form,
      conflictBox(p)));
    work.focus();
  }

  function conflictBox(p) {
    const result = h("div", { "aria-live": "polite" });
    const confirm = h("div", { class: "actions", hidden: true },
      h("button", { type: "button", class: "button", onclick: async (e) => {
        const button = e.currentTarget;
        button.disabled = true;
        try {
          await api("/reviewers/me/conflicts", { method: "POST", json: { proposals: [p.id], institutions: [] } });
          announce("Conflict declared");
          fill(work, notice("success", `You declared a conflict of interest with “${p.title}”: it is no longer assigned to you for review.`));
          await refresh();
        } catch (error) {
          fill(result, errorNotice(error));
          button.disabled = false;
        }
      } }, "Yes, declare the conflict"),
      h("button", { type: "button", class: "button button-quiet", onclick: () => { confirm.hidden = true; } }, "Cancel"));
    return h("details", { class: "conflict-box" },
      h("summary", {}, "Declare a conflict of interest"),
      h("p", {}, "If you cannot judge this proposal impartially (you know the team, work with them, or compete with them), declare it: the proposal leaves your list, and a declared conflict cannot be taken back."),
      h("button", { type: "button", class: "button button-quiet", onclick: () => { confirm.hidden = false; confirm.querySelector("button").focus(); } }, "Declare a conflict with this proposal…"),
      confirm, result);
  }

  await refresh();
}
