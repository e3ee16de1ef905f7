/**
 * `GET /api/guardrail/gate?repo=O/R&sha=SHA` (docs/deploy-gate.md): may this commit be
 * deployed now? Answers `{state: open|blocked|unknown, reasons, ds, details_url}`.
 * Needs the READ token; an unset token means 401 for everyone.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { authorize } from "./auth.js";
import { matchRoute, readQuery, sendJson, requestUrl } from "./respond.js";
import { gateFor } from "../gate/index.js";
import type { GitHubClient } from "../github/deploy.js";
import { commitReverts } from "../app/reverts.js";
import { canonicalRepoName, getRepo } from "../store/repos.js";
import { describeError } from "../shared/errors.js";
import { DS_BOUNDS, isWithinDsBounds } from "../shared/dates.js";

export const GATE_PATH = "/api/guardrail/gate";

const REPO_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SHA_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface GateRouteOptions {
  /** Installation Octokit, for the revert exemption (reads the commit message). Without it, reverts are not exempt here. */
  octokitFor?: (installationId: number) => Promise<GitHubClient>;
  now?: Date;
  log?: { error(msg: string): void };
}

/** Validates the query; returns the sentence for a 400, or the parsed values. */
export function parseGateQuery(query: Record<string, string>): { repo: string; sha: string; asOf?: Date } | { error: string } {
  const repo = (query.repo ?? "").trim();
  const sha = (query.sha ?? "").trim().toLowerCase();
  if (!repo) return { error: 'query parameter "repo" is missing: expected owner/name, e.g. repo=acme/web.' };
  if (!REPO_RE.test(repo) || repo.endsWith("/.") || repo.endsWith("/..")) return { error: `query parameter "repo" is "${repo.slice(0, 200)}": expected owner/name, e.g. acme/web.` };
  if (!sha) return { error: 'query parameter "sha" is missing: expected the full 40-character commit SHA.' };
  if (!SHA_RE.test(sha)) return { error: `query parameter "sha" is "${sha.slice(0, 100)}": expected the full 40-character hexadecimal commit SHA.` };
  // `as_of`: decide as of a past time (staleness and which days had ended), as `guardrail gate --as-of` asks.
  if (query.as_of !== undefined) {
    const t = query.as_of.trim();
    const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(t) ? Date.parse(t) : NaN;
    if (Number.isNaN(ms)) return { error: `query parameter "as_of" is "${t.slice(0, 60)}": expected an ISO-8601 time with Z or an offset, e.g. 2026-03-10T09:00:00Z.` };
    if (!isWithinDsBounds(ms)) return { error: `query parameter "as_of" is "${t.slice(0, 60)}": expected a time ${DS_BOUNDS}.` };
    return { repo, sha, asOf: new Date(ms) };
  }
  return { repo, sha };
}

/** Handles the gate route; returns false when the request is for another path. */
export async function handleGateRoute(req: IncomingMessage, res: ServerResponse, deps: AppDeps, opts: GateRouteOptions = {}): Promise<boolean> {
  let path = requestUrl(req).pathname;
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (path !== GATE_PATH) return false;
  if (!matchRoute(req, "GET", GATE_PATH)) {
    res.setHeader("allow", "GET");
    sendJson(res, 405, { error: `${req.method} is not allowed on ${GATE_PATH}: use GET.` });
    return true;
  }
  if (!authorize(req, deps, "read")) {
    res.setHeader("www-authenticate", 'Bearer realm="guardrail"');
    sendJson(res, 401, { error: "A valid read token is required: send Authorization: Bearer $GUARDRAIL_READ_TOKEN." });
    return true;
  }
  const parsed = parseGateQuery(readQuery(req));
  if ("error" in parsed) {
    sendJson(res, 400, { error: parsed.error });
    return true;
  }
  try {
    const record = getRepo(deps.db, canonicalRepoName(deps.db, parsed.repo));
    const installationId = record?.installationId;
    const octokitFor = opts.octokitFor;
    const revertsOf =
      octokitFor && installationId != null
        ? async (sha: string) => commitReverts(await octokitFor(installationId), record!.repo, sha)
        : undefined;
    const answer = await gateFor(deps, record?.repo ?? parsed.repo, parsed.sha, { record, revertsOf, now: opts.now, asOf: parsed.asOf });
    sendJson(res, 200, answer);
  } catch (err) {
    opts.log?.error(`guardrail gate ${parsed.repo}@${parsed.sha.slice(0, 7)} failed: ${describeError(err)}`);
    sendJson(res, 500, { error: "The gate could not be decided (internal error; the service log has the details). Treat it as unknown." });
  }
  return true;
}
