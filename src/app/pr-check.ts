/**
 * The `guardrail` check on PR heads: read the repo config, build the repo's
 * view, decide (src/gate/decide.ts) with the PR's exemptions, write the check.
 * Also the fan-out entry point that refreshes every open PR of a repo.
 */
import type { AppDeps } from "./deps.js";
import type { Conclusion, RepoName } from "../shared/types.js";
import type { RepoConfigResult } from "../config/repo-schema.js";
import { stderrLog, type Log } from "../shared/log.js";
import { fetchRepoConfig } from "../github/repo-config.js";
import { upsertCheckRun } from "../github/checks.js";
import { listOpenPullRequests, type PullHead } from "../github/pulls.js";
import { logGitHubError, type Octokit } from "../github/octokit.js";
import { recordRepo, repoRecordDiffers } from "../store/repos.js";
import { writeWhenFree } from "../store/busy.js";
import { buildRepoView, decideWithExemptions, type Decision, type Evaluator, type RepoView } from "../gate/index.js";
import { buildGuardrailCheck, CHECK_NAME, RECHECK_ACTION } from "../present/checks.js";
import { findSuspects, revertedSuspect } from "../suspects/index.js";
import { revertTargets } from "./reverts.js";
import { canaryForHead, recordCanaryJudgement, type CanaryJudgement } from "../canary/index.js";

export interface AppOptions {
  /** How the checks get verdicts. Default: a fresh `evaluateDay` (not persisted) with the repo's overrides. */
  evaluate?: Evaluator;
  log?: Log;
  /** Start the background jobs (default true; tests turn them off). */
  background?: boolean;
}

/** Reads `.github/guardrail.yml` and caches it (with the installation) for background jobs. */
export async function refreshRepoConfig(octokit: Octokit, deps: AppDeps, repo: RepoName, installationId?: number | null): Promise<RepoConfigResult> {
  const result = await fetchRepoConfig(octokit, repo);
  const record = { repo, installationId: installationId ?? null, config: result.ok ? result.config : null, configError: result.ok ? null : result.error };
  if (repoRecordDiffers(deps.db, record)) await writeWhenFree(deps.db, () => recordRepo(deps.db, record));
  return result;
}

/** The repo's view with its config read fresh from the default branch. */
export async function freshRepoView(octokit: Octokit, deps: AppDeps, repo: RepoName, installationId: number | null | undefined, options: AppOptions = {}): Promise<RepoView> {
  await refreshRepoConfig(octokit, deps, repo, installationId);
  return buildRepoView(deps, repo, { evaluate: options.evaluate });
}

export interface GuardrailCheckRequest {
  repo: RepoName;
  sha: string;
  /** The PR (head + title/body) or its number, when known: revert detection reads its commits. */
  pr?: PullHead | number | null;
  installationId?: number | null;
  /** The repo's view when the caller built it already (the fan-out builds one per repo). */
  view?: RepoView;
}

/**
 * The decision for a PR head. When it is blocked: an override of this exact
 * SHA, else a revert of one of the day's suspects (read from the PR's
 * commits, title and body).
 */
export function prDecision(
  octokit: Octokit,
  deps: AppDeps,
  view: RepoView,
  sha: string,
  pr: PullHead | number | null | undefined,
  canary: CanaryJudgement | null = null,
): Promise<Decision> {
  return decideWithExemptions(deps, view, sha, async (failing) => {
    const suspects = view.evaluation ? findSuspects(deps.db, view.repo, view.dataset, view.evaluation, failing) : [];
    if (suspects.length === 0) return null;
    const reverted = revertedSuspect(await revertTargets(octokit, view.repo, pr ?? sha), suspects);
    if (!reverted) return null;
    return { kind: "revert", reverted: [reverted.sha ? reverted.sha.slice(0, 7) : (reverted.ref ?? reverted.version ?? "a suspect")], evidence: reverted.evidence };
  }, canary);
}

/** Decides and writes the `guardrail` check for one head SHA. GitHub errors are thrown. */
export async function runGuardrailCheck(octokit: Octokit, deps: AppDeps, req: GuardrailCheckRequest, options: AppOptions = {}): Promise<Conclusion> {
  const view = req.view ?? (await freshRepoView(octokit, deps, req.repo, req.installationId, options));
  // The head's own traffic (docs/canary.md), judged with the repo's thresholds.
  const declared = view.repoConfig.canary_environments.length + view.repoConfig.preview_environments.length > 0;
  const canary = view.cfg ? canaryForHead(deps.db, view.cfg, req.repo, req.sha, declared) : null;
  const judged = canary?.judgement;
  if (judged) await writeWhenFree(deps.db, () => recordCanaryJudgement(deps.db, req.repo, judged));
  const decision = await prDecision(octokit, deps, view, req.sha, req.pr, canary?.judgement ?? null);
  const out = buildGuardrailCheck(view, decision, canary);
  await upsertCheckRun(octokit, deps.db, req.repo, req.sha, {
    name: CHECK_NAME,
    ...out,
    detailsUrl: view.detailsUrl,
    externalId: view.evaluation ? `${view.evaluation.dataset}:${view.evaluation.ds}` : undefined,
    actions: [RECHECK_ACTION],
  });
  return out.conclusion;
}

/**
 * Updates the `guardrail` check on every open PR of the repo (after a
 * publish), all from one view. One PR's failure never stops the others.
 */
export async function refreshPullRequestChecks(
  octokit: Octokit,
  deps: AppDeps,
  repo: RepoName,
  options: AppOptions & { view?: RepoView; installationId?: number | null } = {},
): Promise<{ number: number; sha: string; conclusion: Conclusion | null }[]> {
  const log = options.log ?? stderrLog;
  const view = options.view ?? (await freshRepoView(octokit, deps, repo, options.installationId, options));
  const pulls = await listOpenPullRequests(octokit, repo);
  const results: { number: number; sha: string; conclusion: Conclusion | null }[] = [];
  for (const pr of pulls) {
    try {
      const conclusion = await runGuardrailCheck(octokit, deps, { repo, sha: pr.sha, pr, view }, options);
      results.push({ number: pr.number, sha: pr.sha, conclusion });
    } catch (err) {
      logGitHubError(log, err, { repo, sha: pr.sha, pr: pr.number, event: "refresh" }, "updating the guardrail check");
      results.push({ number: pr.number, sha: pr.sha, conclusion: null });
    }
  }
  return results;
}
