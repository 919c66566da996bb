// Entry: sign in with a bearer token, then route by hash: #/ (campaigns), #/annotate/<cid>,
// #/dashboard/<cid>.

import { annotatePage } from "./annotate/page.ts";
import { Api, ApiError, type Me } from "./api.ts";
import { forgetToken, loadAnnotator, loadToken, saveAnnotator, saveToken } from "./auth.ts";
import { dashboardPage } from "./dashboard/page.ts";
import { h } from "./dom.ts";
import "./style.css";

const root = document.getElementById("app")!;

function login(message = ""): void {
  const input = h("input", { id: "token", type: "password", placeholder: "bearer token", autocomplete: "off" });
  const annotator = h("input", {
    id: "annotator",
    placeholder: "annotator id (only if the server cannot tell)",
    value: loadAnnotator() ?? "",
  });
  const form = h(
    "form",
    { class: "login" },
    h("h1", {}, "boxloop"),
    h("p", {}, "Paste the token that `boxloop start` printed (or open the link with ?token=…)."),
    input,
    annotator,
    h("button", { type: "submit" }, "Sign in"),
    message ? h("p", { class: "error" }, message) : null,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saveToken(input.value);
    saveAnnotator(annotator.value);
    void route();
  });
  root.replaceChildren(form);
  input.focus();
}

async function route(): Promise<void> {
  const token = loadToken();
  if (!token) return login();
  const api = new Api(token);
  try {
    const [page, cid] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    if (page === "dashboard" && cid) return await dashboardPage(root, api, cid);
    const me = await whoAmI(api);
    if (page === "annotate" && cid) {
      if (!me) return login("Enter your annotator id too (this server does not say who a token belongs to).");
      return await annotatePage(root, api, me, await api.campaign(cid));
    }
    const campaigns = await api.campaigns();
    root.replaceChildren(
      h(
        "div",
        { class: "campaigns" },
        h("h1", {}, "Campaigns"),
        h(
          "p",
          {},
          me && !me.guessed ? `Signed in as ${me.subject} (${me.role}). ` : "Signed in. ",
          h("a", { href: "#", onclick: signOut }, "Sign out"),
        ),
        h(
          "ul",
          {},
          ...campaigns.map((c) =>
            h(
              "li",
              {},
              h("a", { href: `#/annotate/${encodeURIComponent(c.id)}` }, c.name),
              me?.role === "annotator" && !me.guessed
                ? null
                : h("a", { href: `#/dashboard/${encodeURIComponent(c.id)}` }, " dashboard"),
            ),
          ),
        ),
      ),
    );
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forgetToken();
      return login("That token was refused. Paste a valid one.");
    }
    root.replaceChildren(h("p", { class: "error" }, `Could not load: ${(e as Error).message}`));
  }
}

/** From `GET /me`; on a server without it, the annotator id given at sign-in. */
async function whoAmI(api: Api): Promise<Me | null> {
  try {
    return await api.me();
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    const id = jwtSubject(loadToken() ?? "") ?? loadAnnotator();
    return id ? { subject: id, role: "annotator", guessed: true } : null;
  }
}

/** A Cognito JWT names its user as the API reads it (cognito:username, username, sub); an opaque token does not. */
function jwtSubject(token: string): string | null {
  const part = token.split(".")[1];
  if (token.split(".").length !== 3 || !part) return null;
  try {
    const payload = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const subject = payload["cognito:username"] ?? payload.username ?? payload.sub;
    return typeof subject === "string" ? subject : null;
  } catch {
    return null;
  }
}

function signOut(e: Event): void {
  e.preventDefault();
  forgetToken();
  login();
}

addEventListener("hashchange", () => location.reload());
void route();
