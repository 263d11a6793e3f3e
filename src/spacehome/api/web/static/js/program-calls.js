// Program page: the officer's form to publish a new call for proposals (POST /api/v1/calls).
import { api, h, field, showProblem, clearProblems, announce, ApiError } from "./app.js";
import { RESOURCES, MODALITIES } from "./program-common.js";

function isoOrProblem(value, name, errors) {
  const text = String(value || "").trim();
  if (!text) {
    errors.push({ field: name, message: "Enter a date and time." });
    return null;
  }
  return new Date(`${text}:00Z`).toISOString().replace(".000Z", "Z");
}

/** A form that publishes a call; onCreated(call) runs after the API has stored it. */
export function newCallForm(onCreated) {
  const today = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T00:00`;
  const later = new Date(today.getTime() + 90 * 86400e3);
  const form = h("form", { class: "form new-call-form", novalidate: true, "aria-labelledby": "new-call-title" },
    h("h3", { id: "new-call-title" }, "Publish a new call"),
    field({ label: "Call id", name: "id", required: true, hint: "Short and unique, e.g. cycle-2 (letters, digits, dashes).", maxlength: 100 }),
    field({ label: "Title", name: "title", required: true, maxlength: 300 }),
    h("fieldset", { "data-field": "modalities" },
      h("legend", {}, "Modalities (at least one)"),
      Object.entries(MODALITIES).map(([value, label]) => h("div", { class: "check" },
        h("input", { type: "checkbox", id: `call-mod-${value}`, name: "modalities", value, checked: value === "own_experiment" }),
        " ", h("label", { for: `call-mod-${value}` }, label)))),
    h("div", { class: "grid" },
      field({ label: "Opens (UTC)", name: "opens_at", type: "datetime-local", value: local(today), required: true }),
      field({ label: "Deadline (UTC)", name: "closes_at", type: "datetime-local", value: local(later), required: true })),
    h("fieldset", { "data-field": "envelope" },
      h("legend", {}, "Resource envelope for the whole call"),
      h("div", { class: "grid" }, RESOURCES.map((r) =>
        field({ label: `${r.label} (${r.unit})`, name: `envelope.${r.name}`, type: "number", min: "0", step: "any" })))),
    h("p", { class: "hint" }, "Every UN member state is eligible; the API takes a narrower list (eligible_countries) if a call needs one."),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Publish the call")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form);
    const data = new FormData(form);
    const errors = [];
    for (const name of ["id", "title"]) {
      if (!String(data.get(name) || "").trim()) errors.push({ field: name, message: "Required." });
    }
    const modalities = data.getAll("modalities");
    if (!modalities.length) errors.push({ field: "modalities", message: "Choose at least one modality." });
    const envelope = {};
    for (const r of RESOURCES) {
      const v = String(data.get(`envelope.${r.name}`) || "").trim();
      if (v !== "") envelope[r.name] = Number(v);
    }
    if (!Object.keys(envelope).length) errors.push({ field: "envelope", message: "Give at least one resource amount." });
    const opens = isoOrProblem(data.get("opens_at"), "opens_at", errors);
    const closes = isoOrProblem(data.get("closes_at"), "closes_at", errors);
    if (errors.length) {
      showProblem(form, new ApiError(422, { detail: "Check the highlighted fields.", errors }));
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const call = await api("/calls", {
        method: "POST",
        json: { id: String(data.get("id")).trim(), title: String(data.get("title")).trim(), modalities, opens_at: opens, closes_at: closes, envelope },
      });
      announce(`Call ${call.id} published.`);
      onCreated(call);
    } catch (error) {
      showProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
