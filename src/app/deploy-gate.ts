/**
 * The deploy gate on GitHub (docs/deploy-gate.md): answers custom deployment protection
 * rules and keeps the `guardrail/deploy` commit status current.
 *
 * How a request lives (GitHub accepts one answer per request):
 * - open → approved. blocked → rejected (the job fails). No verdict with
 *   `on_missing_data: neutral` → approved with a note that data is missing
 *   (like the neutral PR check, missing data never freezes deploys unless the
 *   repo asks for it with `failure`).
 * - A rejected request is remembered. After each evaluated day,
 *   `answerPendingProtectionRules` re-checks it; once the gate opens it
 *   re-runs the run's failed jobs (only when open, never on a mere lack of
 *   data), GitHub asks again, and the new ask is
 *   approved — the deploy goes out without anyone touching it. It is left
 *   alone if a newer deploy to the same environment was requested since
 *   (re-running would ship older code) or the run is older than 30 days.
 * - An answer that failed to send (network, 5xx) stays pending and is retried.
 */
import type { AppDeps } from "./deps.js";
import { getRepo, recordRepo, type RepoRecord } from "../store/repos.js";
import { lastDeployStatus, storeDeployStatus } from "../store/deployments.js";
import { parseRepoConfig } from "../config/repo-schema.js";
import { buildRepoView, gateFor, type GateAnswer, type RepoView } from "../gate/index.js";
import { protectionComment, statusDescription, statusStateFor } from "../present/deploy-gate.js";
import type { ProtectionDecision, RepoName } from "../shared/types.js";
import { silentLog, type Log } from "../shared/log.js";
import { commitReverts } from "./reverts.js";
import {
  hasNewerRequest,
  markRequest,
  openRequests,
  recordRequest,
  type ProtectionRequest,
  type RequestState,
} from "../store/protection-requests.js";
import {
  answerProtectionRule,
  deployStatusTargets,
  errorStatus,
  parseCallbackUrl,
  rerunFailedJobs,
  setDeployStatus,
  workflowRunHeadSha,
  type GitHubClient,
} from "../github/deploy.js";
import { describeError } from "../shared/errors.js";

const RERUN_WINDOW_MS = 30 * 24 * 3600 * 1000;

export interface AnswerOutcome {
  request: ProtectionRequest;
  state: RequestState;
  decision?: ProtectionDecision;
  answer?: GateAnswer;
  error?: string;
}

/** The answer GitHub gets for a gate state, and a note when it is not the gate's own. */
export function decisionFor(answer: GateAnswer): { decision: ProtectionDecision; note?: string } {
  if (answer.state === "open") return { decision: "approved" };
  if (answer.state === "blocked") return { decision: "rejected" };
  return {
    decision: "approved",
    note: "No verdict to gate on; with on_missing_data: neutral Guardrail does not hold deploys (set on_missing_data: failure to hold them).",
  };
}

function isProduction(record: RepoRecord | null, environment: string): boolean {
  const envs = record?.config.production_environments ?? ["production"];
  return envs.includes(environment);
}

/** Sets `guardrail/deploy` on one SHA from a gate answer, skipping a post identical to the last one. */
async function postStatus(octokit: GitHubClient, deps: AppDeps, answer: GateAnswer, repo: string, sha: string): Promise<boolean> {
  const state = statusStateFor(answer);
  const description = statusDescription(answer);
  const last = lastDeployStatus(deps.db, repo, sha);
  if (last && last.state === state && last.description === description) return false;
  await setDeployStatus(octokit, repo, sha, { state, description, target_url: answer.details_url });
  storeDeployStatus(deps.db, repo, sha, state, description);
  return true;
}

/** The status of a requested deploy's commit; its failure is only logged (the protection rule was answered). */
async function postStatusOrWarn(octokit: GitHubClient, deps: AppDeps, answer: GateAnswer, req: ProtectionRequest, log: Log): Promise<void> {
  try {
    await postStatus(octokit, deps, answer, req.repo, req.sha);
  } catch (err) {
    log.warn(`guardrail deploy gate: status for ${req.repo}@${req.sha.slice(0, 7)} failed: ${describeError(err)}`);
  }
}

/** Sends the answer for a pending request and records what happened. Never throws. */
async function answerRequest(octokit: GitHubClient, deps: AppDeps, req: ProtectionRequest, log: Log, now?: Date, view?: RepoView): Promise<AnswerOutcome> {
  const run = parseCallbackUrl(req.callbackUrl);
  if (!run) {
    markRequest(deps.db, req.id, { state: "gone", error: `unrecognised callback URL ${req.callbackUrl}` });
    return { request: req, state: "gone", error: "unrecognised callback URL" };
  }
  const record = getRepo(deps.db, req.repo);
  let answer: GateAnswer;
  let decision: ProtectionDecision;
  let comment: string;
  if (!isProduction(record, req.environment)) {
    decision = "approved";
    answer = { state: "open", reasons: [], ds: null, details_url: null };
    const envs = (record?.config.production_environments ?? ["production"]).join(", ");
    comment = `Guardrail approved: it gates only production environments (${envs}), and "${req.environment}" is not one.`;
  } else {
    answer = await gateFor(deps, req.repo, req.sha, { record, now, view, revertsOf: (sha) => commitReverts(octokit, req.repo, sha) });
    const d = decisionFor(answer);
    decision = d.decision;
    comment = protectionComment(answer, decision, d.note);
  }
  try {
    await answerProtectionRule(octokit, run, { environment_name: req.environment, state: decision, comment });
  } catch (err) {
    const status = errorStatus(err);
    // 404/422: GitHub no longer waits (run cancelled, already answered). Anything else is worth a retry.
    const gone = status === 404 || status === 422;
    const state: RequestState = gone ? "gone" : "pending";
    const error = `answering the protection rule of ${req.repo} run ${req.runId} (${req.environment}) failed: ${describeError(err)}`;
    log.warn(`guardrail deploy gate: ${error}`);
    markRequest(deps.db, req.id, { state, gateState: answer.state, error });
    return { request: req, state, decision, answer, error };
  }
  const state: RequestState = decision;
  markRequest(deps.db, req.id, { state, gateState: answer.state, comment, answered: true });
  log.info(`guardrail deploy gate: ${decision} ${req.repo}@${req.sha.slice(0, 7)} to ${req.environment} (gate ${answer.state})`);
  if (isProduction(record, req.environment)) await postStatusOrWarn(octokit, deps, answer, req, log);
  return { request: req, state, decision, answer };
}

export interface ProtectionRulePayload {
  environment?: string;
  deployment_callback_url?: string;
  deployment?: { sha?: string } | null;
  repository: { full_name: string };
  installation?: { id: number } | null;
}

/** Handles one `deployment_protection_rule.requested`. `loadConfig` reads `.github/guardrail.yml` for a repo not seen yet. */
export async function handleProtectionRuleRequest(
  octokit: GitHubClient,
  deps: AppDeps,
  payload: ProtectionRulePayload,
  opts: { log?: Log; now?: Date; loadConfig?: () => Promise<unknown> } = {},
): Promise<AnswerOutcome | null> {
  const log = opts.log ?? silentLog;
  const repo = payload.repository.full_name;
  const environment = payload.environment;
  const callbackUrl = payload.deployment_callback_url;
  const run = callbackUrl ? parseCallbackUrl(callbackUrl) : null;
  if (!environment || !callbackUrl || !run) {
    log.warn(`guardrail deploy gate: ${repo}: deployment_protection_rule without environment or a usable callback URL; ignored.`);
    return null;
  }
  let record = getRepo(deps.db, repo);
  if (!record && opts.loadConfig) {
    let raw: unknown = null;
    let configError: string | null = null;
    try {
      raw = await opts.loadConfig();
    } catch (err) {
      configError = `.github/guardrail.yml could not be read: ${describeError(err)}`;
    }
    const parsed = configError ? null : parseRepoConfig(raw);
    recordRepo(deps.db, {
      repo,
      installationId: payload.installation?.id ?? null,
      config: parsed && parsed.ok ? parsed.config : null,
      configError: configError ?? (parsed && !parsed.ok ? parsed.error : null),
    });
    record = getRepo(deps.db, repo);
  }
  let sha = payload.deployment?.sha;
  if (!sha) {
    try {
      sha = await workflowRunHeadSha(octokit, run);
    } catch (err) {
      // Without a commit there is nothing to judge; answering beats leaving GitHub waiting for days.
      log.warn(`guardrail deploy gate: ${repo} run ${run.runId}: the commit being deployed could not be found (${describeError(err)}); rejected.`);
      await answerProtectionRule(octokit, run, {
        environment_name: environment,
        state: "rejected",
        comment: "Guardrail could not find which commit this deployment carries, so it cannot judge it. Re-run the job to ask again.",
      });
      return null;
    }
  }
  const req = recordRequest(deps.db, {
    repo,
    installationId: payload.installation?.id ?? record?.installationId ?? null,
    runId: run.runId,
    environment,
    callbackUrl,
    sha,
    dataset: record?.dataset ?? "default",
  });
  return answerRequest(octokit, deps, req, log, opts.now);
}

/**
 * After each evaluated day (H7's fan-out): answers requests whose answer
 * failed to send, and re-runs rejected runs once the gate opens. Each
 * request's failure is logged and recorded; the others still get theirs.
 */
export async function answerPendingProtectionRules(
  octokitFor: (installationId: number) => Promise<GitHubClient>,
  deps: AppDeps,
  dataset: string,
  opts: { log?: Log; now?: Date } = {},
): Promise<AnswerOutcome[]> {
  const log = opts.log ?? silentLog;
  const now = opts.now ?? new Date();
  const outcomes: AnswerOutcome[] = [];
  // One view per repo for every request of this pass: the same verdicts answer them all.
  const views = new Map<string, RepoView>();
  const viewOf = (repo: RepoName) => views.get(repo) ?? views.set(repo, buildRepoView(deps, repo, { now })).get(repo)!;
  for (const req of openRequests(deps.db, dataset)) {
    if (req.installationId == null) {
      outcomes.push({ request: req, state: req.state, error: "no installation id recorded" });
      continue;
    }
    let octokit: GitHubClient;
    try {
      octokit = await octokitFor(req.installationId);
    } catch (err) {
      log.warn(`guardrail deploy gate: cannot authenticate installation ${req.installationId} for ${req.repo}: ${describeError(err)}`);
      outcomes.push({ request: req, state: req.state, error: describeError(err) });
      continue;
    }
    if (req.state === "pending") {
      outcomes.push(await answerRequest(octokit, deps, req, log, opts.now, viewOf(req.repo)));
      continue;
    }
    outcomes.push(await retryRejected(octokit, deps, req, log, now, viewOf(req.repo)));
  }
  return outcomes;
}

async function retryRejected(octokit: GitHubClient, deps: AppDeps, req: ProtectionRequest, log: Log, now: Date, view: RepoView): Promise<AnswerOutcome> {
  const answer = await gateFor(deps, req.repo, req.sha, { now, view, revertsOf: (sha) => commitReverts(octokit, req.repo, sha) });
  await postStatusOrWarn(octokit, deps, answer, req, log);
  // Only a gate that opened re-runs: missing or stale data after a block is no evidence of recovery,
  // and re-running would ship the blocked code unattended.
  if (answer.state !== "open") return { request: req, state: "rejected", answer };
  if (hasNewerRequest(deps.db, req)) {
    markRequest(deps.db, req.id, { state: "superseded", gateState: answer.state });
    return { request: req, state: "superseded", answer };
  }
  if (now.getTime() - Date.parse(req.requestedAt) > RERUN_WINDOW_MS) {
    markRequest(deps.db, req.id, { state: "gone", gateState: answer.state, error: "older than 30 days: GitHub no longer re-runs it" });
    return { request: req, state: "gone", answer };
  }
  const run = parseCallbackUrl(req.callbackUrl)!;
  try {
    await rerunFailedJobs(octokit, run);
  } catch (err) {
    const hint = errorStatus(err) === 403 ? " (the app needs the actions: write permission to re-run; re-run the deploy job by hand)" : "";
    const error = `re-running ${req.repo} run ${req.runId} failed: ${describeError(err)}${hint}`;
    log.warn(`guardrail deploy gate: ${error}`);
    markRequest(deps.db, req.id, { state: "rerun_failed", gateState: answer.state, error });
    return { request: req, state: "rerun_failed", answer, error };
  }
  markRequest(deps.db, req.id, { state: "rerun", gateState: answer.state });
  log.info(`guardrail deploy gate: the gate opened; re-ran ${req.repo} run ${req.runId} so ${req.environment} can deploy ${req.sha.slice(0, 7)}`);
  return { request: req, state: "rerun", answer };
}

/**
 * Sets `guardrail/deploy` on each SHA of `repo`, all from one view. One
 * failing SHA does not stop the others; the first error is re-thrown at the
 * end so the caller logs it.
 */
export async function updateDeployStatuses(
  octokit: GitHubClient,
  deps: AppDeps,
  repo: RepoName,
  shas: string[],
  opts: { now?: Date; view?: RepoView } = {},
): Promise<{ sha: string; answer: GateAnswer; posted: boolean }[]> {
  const view = opts.view ?? buildRepoView(deps, repo, { now: opts.now });
  const out: { sha: string; answer: GateAnswer; posted: boolean }[] = [];
  const errors: string[] = [];
  for (const sha of [...new Set(shas.map((s) => s.toLowerCase()))]) {
    try {
      const answer = await gateFor(deps, repo, sha, { view, revertsOf: (s) => commitReverts(octokit, repo, s) });
      out.push({ sha, answer, posted: await postStatus(octokit, deps, answer, repo, sha) });
    } catch (err) {
      errors.push(`${repo}@${sha.slice(0, 7)}: ${describeError(err)}`);
    }
  }
  if (errors.length) throw new Error(`guardrail/deploy status failed for ${errors.length} commit(s): ${errors.join("; ")}`);
  return out;
}

/** Updates the status on the SHAs that matter (open PR heads, default branch head, latest production deploys). */
export async function refreshDeployStatuses(octokit: GitHubClient, deps: AppDeps, repo: RepoName, opts: { view?: RepoView } = {}) {
  const view = opts.view ?? buildRepoView(deps, repo);
  return updateDeployStatuses(octokit, deps, repo, await deployStatusTargets(octokit, repo, view.repoConfig.production_environments), { view });
}
