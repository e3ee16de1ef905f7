/**
 * The `guardrail/regression` checks: when the repo's decision has failing
 * guardrails, a failing check on each suspect commit with the evidence and
 * the PRs that brought it in. A guardrail the repo does not enforce
 * (`metrics.<name>.enforce: false`) names no suspect, as it holds no commit.
 */
import type { AppDeps } from "./deps.js";
import type { RepoName, Suspect } from "../shared/types.js";
import { stderrLog, type Log } from "../shared/log.js";
import { upsertCheckRun } from "../github/checks.js";
import { pullRequestsForCommit, resolveCommit } from "../github/pulls.js";
import { logGitHubError, type Octokit } from "../github/octokit.js";
import { storeSuspect } from "../store/suspects.js";
import { decide, type RepoView } from "../gate/index.js";
import { findSuspects } from "../suspects/index.js";
import { buildRegressionCheck, REGRESSION_CHECK_NAME } from "../present/checks.js";
import { backfillDeployments } from "./deployments.js";

/** Names the suspects of the view's failing day on GitHub; returns those published. */
export async function publishRegressionChecks(octokit: Octokit, deps: AppDeps, view: RepoView, options: { log?: Log } = {}): Promise<Suspect[]> {
  const { repo, evaluation } = view;
  const log = options.log ?? stderrLog;
  if (!evaluation) return [];
  const failing = decide(view, "").failing;
  if (failing.length === 0) return [];
  try {
    await backfillDeployments(octokit, deps, repo, view.repoConfig.production_environments);
  } catch (err) {
    logGitHubError(log, err, { repo, event: "regression" }, "listing deployments");
  }
  const published: Suspect[] = [];
  for (const suspect of findSuspects(deps.db, repo, evaluation.dataset, evaluation, failing)) {
    const ref = suspect.sha ?? suspect.ref;
    if (!ref) continue;
    try {
      const sha = suspect.sha && suspect.sha.length === 40 ? suspect.sha : await resolveCommit(octokit, repo, ref);
      const prs = await pullRequestsForCommit(octokit, repo, sha);
      const resolved = { ...suspect, sha, prs };
      storeSuspect(deps.db, { repo, dataset: evaluation.dataset, ds: evaluation.ds, sha, ref: suspect.ref, reason: suspect.reason, evidence: suspect.evidence, prs });
      const out = buildRegressionCheck({ suspect: resolved, evaluation, failing, prs, kinds: view.kinds, detailsUrl: view.detailsUrl });
      await upsertCheckRun(octokit, deps.db, repo, sha, {
        name: REGRESSION_CHECK_NAME,
        ...out,
        detailsUrl: view.detailsUrl,
        externalId: `${evaluation.dataset}:${evaluation.ds}`,
      });
      published.push(resolved);
    } catch (err) {
      logGitHubError(log, err, { repo, sha: ref, event: "regression" }, "publishing the regression check");
    }
  }
  return published;
}
