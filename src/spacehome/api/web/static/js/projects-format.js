// Small formatting helpers of the Projects page (no API calls, no page state).
import { flagEmoji, flagsSupported, h } from "./app.js";

const STATES = {
  selected: ["Selected", ""],
  development: ["In development", "badge-warn"],
  hardware_delivered: ["Hardware delivered", "badge-warn"],
  launched: ["Launched", "badge-ok"],
  operating: ["Operating", "badge-ok"],
  completed: ["Completed", "badge-ok"],
  cancelled: ["Cancelled", "badge-error"],
};

/** A project state as a badge with its name in words (colour is not the only cue). */
export function stateBadge(value) {
  const [label, kind] = STATES[value] || [String(value).replaceAll("_", " "), ""];
  return h("span", { class: `badge state-badge ${kind}`.trim(), dataset: { state: value } }, `State: ${label}`);
}

export function selectionLabel(value) {
  return { unconditional: "Selected unconditionally", conditional: "Selected on conditions" }[value]
    || "Selection terms unknown";
}

/** The title, or a plain statement that the sources do not give one. */
export function projectTitle(p) {
  return p.title || p.acronym || "Unidentified project (title not in the sources)";
}

/** A country's flag (decorative, hidden from screen readers), or its ISO code where the browser
 * cannot draw flags. */
export function flagOf(code) {
  return flagsSupported()
    ? h("span", { class: "flag", "aria-hidden": "true" }, flagEmoji(code))
    : h("span", { class: "flag-code", "aria-hidden": "true" }, code);
}

/** Countries as flag + name. */
export function countryList(codes, nameOf) {
  return h("span", { class: "country-list" },
    codes.map((code, i) => h("span", { class: "country" },
      flagOf(code), " ", nameOf(code), i < codes.length - 1 ? ", " : "")));
}

/** 1234 -> "1.2 kB" (SI units, as the API's size limit). */
export function fmtBytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n;
  let unit = "B";
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}
