// The Now page's "passes over your city" card: a city search box with suggestions from the
// offline gazetteer (GET /api/v1/places?q=), and the next visible passes (GET /api/v1/orbit/passes)
// in the city's local time (its IANA zone). The chosen city is remembered in localStorage.

import { api, ApiError, h, announce, notice, fmtUtc } from "./app.js";

const STORAGE_KEY = "spacehome.now.city";
const DAYS = 7;
const COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];

export function compass(azimuthDeg) {
  return COMPASS[Math.round((((azimuthDeg % 360) + 360) % 360) / 22.5) % 16];
}

/** "19:21:27" and "Thu 3 Dec" in an IANA zone; "GMT+3"-style abbreviation. */
function localParts(iso, timeZone) {
  const d = new Date(iso);
  const time = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(d);
  const date = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(d);
  const zone = new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "short" })
    .formatToParts(d).find((p) => p.type === "timeZoneName");
  return { time, date, zone: zone ? zone.value : timeZone };
}

function remembered() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) || "";
  } catch {
    return "";
  }
}

function remember(label) {
  try {
    window.localStorage.setItem(STORAGE_KEY, label);
  } catch {
    /* storage refused (private mode): nothing to remember */
  }
}

export function passesCard({ from }) {
  const input = h("input", {
    id: "now-city", name: "city", type: "search", autocomplete: "off", list: "now-city-options",
    required: true, maxlength: 100, "aria-describedby": "now-city-hint", value: remembered(),
    placeholder: "e.g. Nairobi or Lima, PE",
  });
  const options = h("datalist", { id: "now-city-options" });
  const results = h("div", { class: "now-passes-results", "aria-live": "polite" });
  const button = h("button", { class: "button", type: "submit" }, "Show passes");
  const form = h("form", { class: "form now-city-form", role: "search", "aria-label": "Passes over a city", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "now-city" }, "City"),
      h("p", { class: "hint", id: "now-city-hint" },
        "Type a city's name and pick a suggestion (\"Name, country-region\"); cities of 15,000 people or more, offline gazetteer."),
      input, options),
    h("div", { class: "actions" }, button));

  let suggestTimer = 0;
  let suggestSeq = 0;
  input.addEventListener("input", () => {
    window.clearTimeout(suggestTimer);
    const q = input.value.trim();
    if (q.length < 2) return;
    suggestTimer = window.setTimeout(async () => {
      const seq = ++suggestSeq;
      try {
        const data = await api("/places", { query: { q, limit: 8 } });
        if (seq !== suggestSeq) return;
        options.replaceChildren(...data.places.map((p) =>
          h("option", { value: p.label }, `${p.name}, ${p.country_name} (${p.timezone})`)));
      } catch {
        options.replaceChildren(); // suggestions are a help only; the search still works
      }
    }, 200);
  });

  function fieldError(message) {
    clearError();
    const p = h("p", { class: "field-error", id: "now-city-error" }, message);
    input.closest(".field").append(p);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "now-city-hint now-city-error");
  }

  function clearError() {
    const old = form.querySelector("#now-city-error");
    if (old) old.remove();
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "now-city-hint");
  }

  async function show(city) {
    clearError();
    button.disabled = true;
    results.replaceChildren(h("p", { class: "loading" }, `Finding passes over ${city}…`));
    try {
      const data = await api("/orbit/passes", { query: { city, visible_only: true, days: DAYS, from: from() } });
      remember(data.place.name);
      results.replaceChildren(passesTable(data));
      announce(`${data.passes.length} visible passes over ${data.place.name} in the next ${DAYS} days.`);
    } catch (error) {
      results.replaceChildren();
      if (error instanceof ApiError && [404, 422].includes(error.status)) {
        const own = error.fieldErrors.find((e) => e.field === "city");
        fieldError(own ? own.message : error.message);
        input.focus();
      } else {
        results.replaceChildren(notice("error", error instanceof Error ? error.message : String(error)));
      }
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const city = input.value.trim();
    if (!city) {
      fieldError("Type a city's name, like Nairobi, then press Show passes.");
      input.focus();
      return;
    }
    show(city);
  });

  const card = h("section", { class: "card now-passes", "aria-labelledby": "now-passes-title" },
    h("h2", { id: "now-passes-title" }, "See it from your city"),
    h("p", { class: "muted" },
      `The next passes in the coming ${DAYS} days when the station is sunlit in a dark sky (the Sun 6° or more below the horizon), at least 10° up, in the city's local time.`),
    form, results);
  if (input.value) window.setTimeout(() => show(input.value), 0);
  return card;
}

function passesTable(data) {
  const zoneName = data.place.timezone;
  const first = data.passes[0];
  const zoneAbbr = localParts(first ? first.culmination.time : data.from, zoneName).zone;
  const heading = h("p", { "data-testid": "passes-zone" },
    h("strong", {}, data.place.name), ` — times in local time, ${zoneName} (${zoneAbbr})`);
  if (!data.passes.length) {
    return h("div", {}, heading,
      notice("info", `No visible passes over ${data.place.name} from ${fmtUtc(data.from)} to ${fmtUtc(data.to)}. The station may pass in daylight or when it is in Earth's shadow; try another week later.`));
  }
  const at = (point) => (point ? localParts(point.time, zoneName).time : "—");
  const rows = data.passes.map((p) => {
    const when = localParts(p.culmination.time, zoneName);
    const mag = p.brightness && p.brightness.magnitude !== null && p.brightness.magnitude !== undefined
      ? p.brightness.magnitude.toFixed(1) : "—";
    return h("tr", {},
      h("th", { scope: "row" }, when.date),
      h("td", {}, at(p.rise), p.rise ? h("span", { class: "muted" }, ` ${compass(p.rise.azimuth_deg)}`) : null),
      h("td", {}, at(p.culmination), h("span", { class: "muted" }, ` ${compass(p.culmination.azimuth_deg)}`)),
      h("td", { class: "num" }, `${p.culmination.elevation_deg.toFixed(0)}°`),
      h("td", {}, at(p.set), p.set ? h("span", { class: "muted" }, ` ${compass(p.set.azimuth_deg)}`) : null),
      h("td", {}, p.visible_from ? `${localParts(p.visible_from, zoneName).time}–${localParts(p.visible_to, zoneName).time}` : "—"),
      h("td", { class: "num" }, mag));
  });
  return h("div", {}, heading,
    h("div", { class: "table-wrap" },
      h("table", { class: "data", "data-testid": "passes" },
        h("caption", { class: "visually-hidden" }, `Visible passes over ${data.place.name}, times in ${zoneName}`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Date"),
          h("th", { scope: "col" }, `Rises (${zoneAbbr})`),
          h("th", { scope: "col" }, "Highest"),
          h("th", { scope: "col", class: "num" }, "Max. elevation"),
          h("th", { scope: "col" }, "Sets"),
          h("th", { scope: "col" }, "Visible"),
          h("th", { scope: "col", class: "num" }, "Magnitude"))),
        h("tbody", {}, rows))),
    h("p", { class: "hint" },
      `Magnitude: ${data.standard_magnitude_source === "derived" ? "estimated (no published value for the station; ±1 or more)" : "from the given standard magnitude"}; lower is brighter. Directions are where to look (compass). Computed from ${fmtUtc(data.from)} with element set epoch ${fmtUtc(data.element_set.epoch)}.`));
}
