// The login page: a form posted to /api/v1/auth/session (the session becomes an HttpOnly cookie).
import { h, mount, request, session, showProblem, clearProblems, field, notice, ApiError } from "./app.js";

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only paths on this site: "/x", never "//host" or "https://host".
  return /^\/(?!\/)/.test(next) && !next.includes("\\") ? next : "/";
}

function render() {
  if (session) {
    mount(notice("info", `You are logged in as ${session.username} (${session.role.replace("_", " ")}). `,
      h("a", { href: nextPath() }, "Continue")));
    return;
  }
  const form = h("form", { class: "form login-form", novalidate: true, "aria-labelledby": "page-title" },
    field({ label: "Username", name: "username", autocomplete: "username", required: true, autofocus: true }),
    field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, "Log in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form);
    const data = new FormData(form);
    const missing = ["username", "password"].filter((k) => !String(data.get(k) || "").trim())
      .map((k) => ({ field: k, message: `Enter your ${k}.` }));
    if (missing.length) {
      showProblem(form, new ApiError(422, { detail: "Fill in both fields.", errors: missing }));
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await request("/auth/session", { method: "POST", form: new URLSearchParams(data) });
      location.assign(nextPath());
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 401) {
        showProblem(form, new ApiError(401, { errors: [{ field: "password", message: "Incorrect username or password." }] }));
      } else {
        showProblem(form, error);
      }
    }
  });
  mount(
    h("p", {}, "Partners, reviewers, program officers and planners log in with the account their program office gave them. Everything on the Now, Station, Program and Projects pages is public."),
    form,
    h("p", { class: "hint" }, "A new installation prints the admin's password on its first start (spacehome serve); accounts are created with `spacehome users create`."),
  );
}

render();
