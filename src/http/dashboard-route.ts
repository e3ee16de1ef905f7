/**
 * `GET /guardrail?dataset=&ds=` (docs/service.md): the dashboard. Business metrics
 * are private: the READ token (bearer or `guardrail_token` cookie) or a
 * signed, unexpired link to exactly this URL, else 401. Links inside a page
 * opened through a signed link are signed too (same expiry), so a person who
 * clicked a check's "Details" can move between days.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { authorize } from "./auth.js";
import { signLink, verifySignedLink } from "../shared/links.js";
import { matchRoute, readQuery, sendHtml } from "./respond.js";
import { DATASET_RE } from "./exports-route.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { describeError } from "../shared/errors.js";
import { renderDashboard, type PageLinks } from "../dashboard/render.js";
import { esc } from "../dashboard/svg.js";

export const DASHBOARD_PATH = "/guardrail";

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

function securityHeaders(res: ServerResponse): void {
  // No scripts, no external resources; a signed link must not leak through Referer.
  res.setHeader("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
}

/** GitHub's web address: GitHub Enterprise Server through Probot's GHE_HOST / GHE_PROTOCOL, else github.com. */
function githubWebUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}` : "https://github.com";
}

export async function handleDashboard(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AppDeps,
  now = Date.now(),
  log: { error(msg: string): void } = { error: () => {} },
): Promise<boolean> {
  if (!matchRoute(req, "GET", DASHBOARD_PATH)) return false;
  securityHeaders(res);
  if (!authorize(req, deps, "read", now)) {
    res.setHeader("www-authenticate", 'Bearer realm="guardrail"');
    sendHtml(res, 401, page("Guardrail: sign-in needed", "Business metrics are private. Open the dashboard through the signed link of a guardrail check, or send the read token (Authorization: Bearer, or the guardrail_token cookie). Signed links expire; ask the check for a fresh one by re-running it."));
    return true;
  }
  const query = readQuery(req);
  if (query.dataset !== undefined && !DATASET_RE.test(query.dataset)) {
    sendHtml(res, 400, page("Guardrail: bad request", `Query parameter dataset: expected letters, digits, - and _ (at most 64 characters), got "${query.dataset.slice(0, 80)}".`));
    return true;
  }
  if (query.ds !== undefined && !isValidDs(query.ds)) {
    sendHtml(res, 400, page("Guardrail: bad request", `Query parameter ds: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${query.ds.slice(0, 80)}".`));
    return true;
  }
  const exp = Number(query.exp);
  // Only a link the service signed itself passes its expiry on: a token holder adding
  // a made-up `sig` and a far `exp` must not mint links that outlive the token.
  const viaToken = authorize(req, { ...deps, linkSecret: "" }, "read", now);
  const viaSignedLink = !viaToken && query.sig !== undefined && verifySignedLink(req.url ?? "/", deps.linkSecret, now);
  // A signed link is bound to one dataset: it must name it (the signature covers it), and the
  // page it opens signs links to that dataset only; links elsewhere need the token (docs/service.md#the-dashboard).
  if (viaSignedLink && !query.dataset) {
    res.setHeader("www-authenticate", 'Bearer realm="guardrail"');
    sendHtml(res, 401, page("Guardrail: sign-in needed", "This signed link names no dataset; a signed link opens the one dataset it was made for. Open the link of a guardrail check, or send the read token."));
    return true;
  }
  const path = (dataset: string, ds: string | null) => `${DASHBOARD_PATH}?dataset=${encodeURIComponent(dataset)}${ds ? `&ds=${encodeURIComponent(ds)}` : ""}`;
  const signBound = viaSignedLink ? boundLinkFor(deps.linkSecret, query.dataset!, exp - Math.floor(now / 1000), now) : null;
  const links: PageLinks = signBound
    ? { kind: "service", sameDatasetOnly: true, href: (dataset, ds) => (dataset === query.dataset ? signBound(path(dataset, ds)) : null) }
    : { kind: "service", href: path };
  try {
    sendHtml(res, 200, renderDashboard(deps.db, deps.config, { dataset: query.dataset, ds: query.ds, links, githubUrl: githubWebUrl() }));
  } catch (err) {
    // Internal messages (SQL, file paths) stay in the log.
    log.error(`guardrail dashboard ${query.dataset ?? "default"} ${query.ds ?? "latest"} failed: ${describeError(err)}`);
    sendHtml(res, 500, page("Guardrail: the dashboard failed", "The page could not be drawn; the service log has the details. Try again, or another day."));
  }
  return true;
}

/**
 * Signs in-page links for the signed link's own dataset with the same expiry;
 * a link to any other dataset (or to no dataset) is left unsigned, so a link
 * for dataset A can never lead to a signed link for dataset B.
 */
export function boundLinkFor(linkSecret: string, dataset: string, ttlSeconds: number, now: number): (path: string) => string {
  return (path: string) => {
    const target = new URL(path, "http://localhost").searchParams.get("dataset");
    return target === dataset ? signLink({ publicUrl: "", linkSecret }, path, ttlSeconds, now) : path;
  };
}
