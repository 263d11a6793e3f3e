// spacehome dashboard: what every page shares (our own code; no third-party code here).
//
// The server renders each page's shell (header, navigation for the visitor's role, <main>) and
// puts the account in <body data-role data-username data-partner-org> and the session's CSRF
// token in <meta name="csrf-token">. A page module imports from here:
//
//   import { api, session, h, mount, showProblem, clearProblems, fmtUtc } from "./app.js";
//
// api() calls /api/v1 with the session cookie and, on every request that changes anything, the
// X-CSRF-Token header; an error answer (RFC 9457 problem) is thrown as an ApiError whose
// fieldErrors name the form fields at fault.

const API = "/api/v1";

/** The logged-in account, or null for a visitor. */
export const session = (() => {
  const d = document.body.dataset;
  if (!d.role || d.role === "public") return null;
  return { username: d.username, role: d.role, partnerOrg: d.partnerOrg || null };
})();

export function hasRole(...roles) {
  return session !== null && roles.includes(session.role);
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** An error answer of the API: status, the problem document, and per-field messages. */
export class ApiError extends Error {
  constructor(status, problem) {
    const detail = (problem && (problem.detail || problem.title)) || `The server answered ${status}.`;
    super(status === 401 ? "Your session has ended or you are not logged in: log in again." : detail);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem || {};
    this.fieldErrors = Array.isArray(this.problem.errors)
      ? this.problem.errors
          .filter((e) => e && typeof e.message === "string")
          .map((e) => ({ field: e.field || "", message: e.message }))
      : [];
  }

  static async from(response) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    return new ApiError(response.status, problem);
  }
}

function apiUrl(path, query) {
  const url = new URL(path.startsWith("/") && !path.startsWith(API) ? API + path : path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url;
}

/**
 * Call the API. path is relative to /api/v1 ("/calls") or absolute ("/api/v1/calls").
 * Options: method, query (object), json (a body sent as JSON), form (FormData or
 * URLSearchParams), headers, signal. Returns {data, status, headers}; throws ApiError.
 */
export async function request(path, { method = "GET", query, json, form, headers = {}, signal } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json, application/problem+json", ...headers },
    signal,
  };
  if (!["GET", "HEAD"].includes(method)) init.headers["X-CSRF-Token"] = csrfToken();
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), init);
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "The server cannot be reached; check that spacehome serve is running." });
  }
  if (!response.ok) throw await ApiError.from(response);
  const type = response.headers.get("content-type") || "";
  let data = null;
  if (response.status !== 204) data = type.includes("json") ? await response.json() : await response.text();
  return { data, status: response.status, headers: response.headers };
}

/** Like request(), but returns the answer's body only. */
export async function api(path, options) {
  return (await request(path, options)).data;
}

// --- DOM ---------------------------------------------------------------------------------------

/**
 * Build an element: h("button", {class: "button", onclick: fn, "aria-label": "Close"}, "x").
 * Attributes: class, text, html is NOT supported (no innerHTML anywhere: the API's text is data),
 * dataset (object), on<event> (function), boolean true/false for boolean attributes.
 * Children: strings, numbers, nodes, arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "path", "rect", "line", "circle", "text", "title", "polyline", "polygon", "ellipse", "tspan", "defs", "clipPath", "use", "desc"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The page's content area (#page), emptied and filled with the given nodes. */
export function mount(...children) {
  const root = document.getElementById("page");
  root.replaceChildren();
  append(root, children);
  root.removeAttribute("aria-busy");
  return root;
}

/** Announce a short message to screen readers (polite live region). */
export function announce(text) {
  const live = document.getElementById("live");
  if (!live) return;
  live.textContent = "";
  window.setTimeout(() => (live.textContent = text), 50);
}

/** A notice block: kind "info", "warning", "error" or "success". */
export function notice(kind, ...children) {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

/** An error as a readable notice; a 401 also offers the login link. */
export function errorNotice(error) {
  const message = error instanceof Error ? error.message : String(error);
  const login = error instanceof ApiError && error.status === 401
    ? [" ", h("a", { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, "Log in")]
    : [];
  return notice("error", message, ...login);
}

// --- forms -------------------------------------------------------------------------------------

/** Remove the messages a previous showProblem() put into the form. */
export function clearProblems(form) {
  for (const el of form.querySelectorAll(".field-error, .form-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
  }
}

function fieldFor(form, name) {
  if (!name) return null;
  const candidates = [name, name.split(".").pop(), name.replace(/\[\d+\]/g, "")];
  for (const candidate of candidates) {
    const el = form.querySelector(`[name="${CSS.escape(candidate)}"], [data-field="${CSS.escape(candidate)}"]`);
    if (el) return el;
  }
  return null;
}

/**
 * Show an API error in a form: each field error next to its field (aria-invalid, described by
 * the message), anything else at the top of the form. Focuses the first field at fault.
 */
export function showProblem(form, error) {
  clearProblems(form);
  const general = [];
  let first = null;
  const fieldErrors = error instanceof ApiError ? error.fieldErrors : [];
  for (const { field, message } of fieldErrors) {
    const el = fieldFor(form, field);
    if (!el) {
      general.push(field ? `${field}: ${message}` : message);
      continue;
    }
    const id = `${el.id || el.name || "field"}-error`;
    const p = h("p", { class: "field-error", id }, message);
    (el.closest(".field") || el.parentElement).append(p);
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", `${el.getAttribute("aria-describedby") || ""} ${id}`.trim());
    first = first || el;
  }
  if (!fieldErrors.length) general.push(error instanceof Error ? error.message : String(error));
  if (general.length) {
    const box = h("div", { class: "form-error notice notice-error", role: "alert" }, general.join(" "));
    form.prepend(box);
    if (!first) box.setAttribute("tabindex", "-1");
    first = first || box;
  }
  if (first) first.focus();
}

/** A labelled form field: field({label, name, type, hint, required, ...inputAttrs}). */
export function field({ label, name, type = "text", hint, options, value, ...attrs }) {
  const id = attrs.id || `f-${name.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
  const hintId = hint ? `${id}-hint` : undefined;
  let control;
  if (type === "select") {
    control = h("select", { id, name, "aria-describedby": hintId, ...attrs },
      (options || []).map((o) => h("option", { value: o.value, selected: o.value === value }, o.label)));
  } else if (type === "textarea") {
    control = h("textarea", { id, name, "aria-describedby": hintId, ...attrs }, value ?? "");
  } else {
    control = h("input", { id, name, type, value, "aria-describedby": hintId, ...attrs });
  }
  return h("div", { class: "field" },
    h("label", { for: id }, label, attrs.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control);
}

// --- formatting ----------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");

/** "2026-12-03 14:05 UTC" (seconds with seconds=true). */
export function fmtUtc(iso, { seconds = false } = {}) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? ":" + pad(d.getUTCSeconds()) : ""}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time} UTC`;
}

/** A time in an IANA zone ("Asia/Shanghai"), with the zone's abbreviation. */
export function fmtLocal(iso, timeZone, { seconds = false } = {}) {
  if (!iso) return "—";
  try {
    return new Intl.DateTimeFormat("en-GB", {
      timeZone, year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: seconds ? "2-digit" : undefined, timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return fmtUtc(iso, { seconds });
  }
}

/** 95 -> "1 h 35 min"; 2880 -> "2 d 0 h". */
export function fmtMinutes(minutes) {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  if (m < 1440) return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

/** The flag emoji of an ISO 3166 alpha-2 code, whether or not this browser can draw it. */
export function flagEmoji(alpha2) {
  if (!/^[A-Za-z]{2}$/.test(alpha2 || "")) return "";
  return String.fromCodePoint(...[...alpha2.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

let flagsDrawn = null;

/** Whether this browser draws flag emoji in colour (without an emoji font they are two boxed
 * letters, as in Debian's chromium without fonts-noto-color-emoji); checked once on a canvas. */
export function flagsSupported() {
  if (flagsDrawn === null) {
    flagsDrawn = false;
    try {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 24;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.textBaseline = "top";
      ctx.font = "20px sans-serif";
      ctx.fillText(flagEmoji("KE"), 0, 0);
      const data = ctx.getImageData(0, 0, 24, 24).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0 && (Math.abs(data[i] - data[i + 1]) > 40 || Math.abs(data[i + 1] - data[i + 2]) > 40)) {
          flagsDrawn = true;
          break;
        }
      }
    } catch {
      flagsDrawn = false;
    }
  }
  return flagsDrawn;
}

/** A country's flag emoji (decorative: always pair it with the name or code), or "" where this
 * browser cannot draw flags. */
export function flag(alpha2) {
  return flagsSupported() ? flagEmoji(alpha2) : "";
}

// --- header -----------------------------------------------------------------------------------

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    try {
      await request("/auth/session", { method: "DELETE" });
    } finally {
      location.assign("/");
    }
  });
}
