/**
 * The `guardrail` check on PR heads and the `guardrail/regression` check on
 * suspect commits: load the repo config, evaluate, apply exemptions, write the
 * check. Also the fan-out entry points for background jobs.
 */
import type { AppDeps } from "./deps.js";
import type { DB } from "../store/db.js";
import type { Evaluation } from "../shared/types.js";
import { resolveDataset, type DatasetConfig } from "../config/load.js";
import { applyRepoOverrides, DEFAULT_REPO_CONFIG, type RepoConfig, type RepoConfigResult } from "../config/repo-schema.js";
import { describeError } from "../shared/errors.js";
import { canaryForHead, recordCanaryJudgement } from "../canary/index.js";
import { evaluateDay } from "../evaluate/index.js";
import { dashboardLink } from "../shared/links.js";
import { fetchRepoConfig } from "../github/repo-config.js";
import { upsertCheckRun, type Conclusion } from "../github/checks.js";
import { listOpenPullRequests, pullRequestsForCommit, resolveCommit, revertTargets, type PullHead } from "../github/pulls.js";
import { listSuccessfulDeployments } from "../github/deployments.js";
import { logGitHubError, type Log, type Octokit } from "../github/octokit.js";
import { getRepo, isOverridden, recordRepo, type RepoRecord } from "../store/repos.js";
import {
  buildGuardrailCheck,
  buildRegressionCheck,
  CHECK_NAME,
  RECHECK_ACTION,
  REGRESSION_CHECK_NAME,
  type Exemption,
  type MetricKinds,
} from "./check-content.js";
import {
  countDeployments,
  failingGuardrails,
  findSuspects,
  recordDeployment,
  revertedSuspect,
  storeSuspect,
  type Suspect,
} from "../suspects/index.js";

export type Evaluator = (db: DB, cfg: DatasetConfig) => Evaluation;

export interface AppOptions {
  /** How the checks get verdicts. Default: a fresh `evaluateDay` (not persisted) with the repo's overrides. */
  evaluate?: Evaluator;
  log?: Log;
  /** Start the background jobs (default true; tests turn them off). */
  background?: boolean;
}

const stderrLog: Log = {
  info: (o, m) => process.stderr.write(`${m ?? ""} ${JSON.stringify(o)}\n`),
  warn: (o, m) => process.stderr.write(`${m ?? ""} ${JSON.stringify(o)}\n`),
  error: (o, m) => process.stderr.write(`${m ?? ""} ${JSON.stringify(o)}\n`),
};

const defaultEvaluate: Evaluator = (db, cfg) => evaluateDay(db, cfg, { persist: false });

/** Accepts "owner/name" or a record from `reposForDataset`. */
export type RepoArg = string | Pick<RepoRecord, "repo">;
const fullNameOf = (r: RepoArg) => (typeof r === "string" ? r : r.repo);

/** Reads `.github/guardrail.yml` and caches it (with the installation) for background jobs. */
export async function refreshRepoConfig(octokit: Octokit, deps: AppDeps, fullName: string, installationId?: number | null): Promise<RepoConfigResult> {
  const result = await fetchRepoConfig(octokit, fullName);
  recordRepo(deps.db, {
    repo: fullName,
    installationId: installationId ?? null,
    config: result.ok ? result.config : null,
    configError: result.ok ? null : result.error,
  });
  return result;
}

function metricKinds(cfg: DatasetConfig): MetricKinds {
  return Object.fromEntries(cfg.metrics.map((m) => [m.name, m.kind]));
}

export interface RepoEvaluation {
  /** The dataset config with the repo's overrides, when they apply. */
  datasetConfig?: DatasetConfig | null;
  evaluation: Evaluation | null;
  evaluationError: string | null;
  configError: string | null;
  kinds: MetricKinds;
}

/** The dataset verdicts as this repo sees them (its metric overrides applied to a copy of the config). */
export function evaluateForRepo(deps: AppDeps, repoCfg: RepoConfig, evaluate: Evaluator = defaultEvaluate): RepoEvaluation {
  let dsCfg: DatasetConfig;
  try {
    dsCfg = resolveDataset(deps.config, repoCfg.dataset);
  } catch (err) {
    return { evaluation: null, evaluationError: null, configError: `.github/guardrail.yml: field dataset: ${describeError(err)}`, kinds: {} };
  }
  const applied = applyRepoOverrides(dsCfg, repoCfg);
  if (!applied.ok) return { evaluation: null, evaluationError: null, configError: applied.error, kinds: metricKinds(dsCfg) };
  const kinds = metricKinds(applied.config);
  try {
    return { datasetConfig: applied.config, evaluation: evaluate(deps.db, applied.config), evaluationError: null, configError: null, kinds };
  } catch (err) {
    return { datasetConfig: applied.config, evaluation: null, evaluationError: describeError(err), configError: null, kinds };
  }
}

export interface GuardrailCheckRequest {
  repo: string;
  sha: string;
  /** The PR (head + title/body) or its number, when known: revert detection reads its commits. */
  pr?: PullHead | number | null;
  installationId?: number | null;
  /** Already loaded config (fan-out loads it once per repo). */
  repoConfig?: RepoConfigResult;
}

/** Evaluates and writes the `guardrail` check for one head SHA. GitHub errors are thrown. */
export async function runGuardrailCheck(octokit: Octokit, deps: AppDeps, req: GuardrailCheckRequest, options: AppOptions = {}): Promise<Conclusion> {
  const cfgResult = req.repoConfig ?? (await refreshRepoConfig(octokit, deps, req.repo, req.installationId));
  const repoCfg = cfgResult.ok ? cfgResult.config : DEFAULT_REPO_CONFIG;
  const ev = cfgResult.ok ? evaluateForRepo(deps, repoCfg, options.evaluate) : null;
  const evaluation = ev?.evaluation ?? null;

  // The head's own traffic (docs/canary.md), judged with the repo's thresholds.
  const dsCfg = ev?.datasetConfig ?? null;
  const declared = repoCfg.canary_environments.length + repoCfg.preview_environments.length > 0;
  const canary = dsCfg ? canaryForHead(deps.db, dsCfg, req.repo, req.sha, declared) : null;
  if (canary?.judgement) recordCanaryJudgement(deps.db, req.repo, canary.judgement);

  let exemption: Exemption = null;
  const override = isOverridden(deps.db, req.repo, req.sha);
  if (override) exemption = { kind: "override", override };
  else if (evaluation && failingGuardrails(evaluation).length > 0) {
    const suspects = findSuspects(deps.db, req.repo, repoCfg.dataset, evaluation);
    if (suspects.length > 0) {
      const targets = await revertTargets(octokit, req.repo, req.pr ?? req.sha);
      const reverted = revertedSuspect(targets, suspects);
      if (reverted) exemption = { kind: "revert", suspect: reverted };
    }
  }

  const detailsUrl = dashboardLink(deps, repoCfg.dataset, evaluation?.ds);
  const out = buildGuardrailCheck({
    evaluation,
    evaluationError: ev?.evaluationError ?? null,
    configError: cfgResult.ok ? (ev?.configError ?? null) : cfgResult.error,
    repoConfig: repoCfg,
    metricKinds: ev?.kinds ?? {},
    exemption,
    detailsUrl,
    canary,
  });
  await upsertCheckRun(octokit, deps.db, req.repo, req.sha, {
    name: CHECK_NAME,
    ...out,
    detailsUrl,
    externalId: evaluation ? `${evaluation.dataset}:${evaluation.ds}` : undefined,
    actions: [RECHECK_ACTION],
  });
  return out.conclusion;
}

/** Updates the `guardrail` check on every open PR of the repo (after a publish). One PR's failure never stops the others. */
export async function refreshPullRequestChecks(
  octokit: Octokit,
  deps: AppDeps,
  repo: RepoArg,
  options: AppOptions = {},
): Promise<{ number: number; sha: string; conclusion: Conclusion | null }[]> {
  const fullName = fullNameOf(repo);
  const log = options.log ?? stderrLog;
  const installationId = typeof repo === "string" ? null : ((repo as Partial<RepoRecord>).installationId ?? null);
  const repoConfig = await refreshRepoConfig(octokit, deps, fullName, installationId);
  const pulls = await listOpenPullRequests(octokit, fullName);
  const results: { number: number; sha: string; conclusion: Conclusion | null }[] = [];
  for (const pr of pulls) {
    try {
      const conclusion = await runGuardrailCheck(octokit, deps, { repo: fullName, sha: pr.sha, pr, repoConfig }, options);
      results.push({ number: pr.number, sha: pr.sha, conclusion });
    } catch (err) {
      logGitHubError(log, err, { repo: fullName, sha: pr.sha, pr: pr.number, event: "refresh" }, "updating the guardrail check");
      results.push({ number: pr.number, sha: pr.sha, conclusion: null });
    }
  }
  return results;
}

/** Loads production deployment history from the API when none was recorded from webhooks. */
export async function backfillDeployments(octokit: Octokit, deps: AppDeps, fullName: string, environments: string[]): Promise<number> {
  if (countDeployments(deps.db, fullName) > 0) return 0;
  const found = await listSuccessfulDeployments(octokit, fullName, environments);
  for (const d of found) recordDeployment(deps.db, d);
  return found.length;
}

/**
 * Names the suspects of a failing evaluation on GitHub: a failing
 * `guardrail/regression` check on each suspect commit, with the evidence and
 * the PRs that brought it in. Nothing happens when no enforced guardrail fails.
 */
export async function publishRegressionChecks(
  octokit: Octokit,
  deps: AppDeps,
  repo: RepoArg,
  evaluation: Evaluation,
  options: AppOptions = {},
): Promise<Suspect[]> {
  const fullName = fullNameOf(repo);
  const log = options.log ?? stderrLog;
  if (failingGuardrails(evaluation).length === 0) return [];
  const record = getRepo(deps.db, fullName);
  const repoCfg = record?.config ?? DEFAULT_REPO_CONFIG;
  try {
    await backfillDeployments(octokit, deps, fullName, repoCfg.production_environments);
  } catch (err) {
    logGitHubError(log, err, { repo: fullName, event: "regression" }, "listing deployments");
  }
  let kinds: MetricKinds = {};
  try {
    kinds = metricKinds(resolveDataset(deps.config, evaluation.dataset));
  } catch {
    // An unusual dataset name only loses number formatting.
  }
  const detailsUrl = dashboardLink(deps, evaluation.dataset, evaluation.ds);
  const published: Suspect[] = [];
  for (const suspect of findSuspects(deps.db, fullName, evaluation.dataset, evaluation)) {
    const ref = suspect.sha ?? suspect.ref;
    if (!ref) continue;
    try {
      const sha = suspect.sha && suspect.sha.length === 40 ? suspect.sha : await resolveCommit(octokit, fullName, ref);
      const prs = await pullRequestsForCommit(octokit, fullName, sha);
      const resolved = { ...suspect, sha, prs };
      storeSuspect(deps.db, { repo: fullName, dataset: evaluation.dataset, ds: evaluation.ds, sha, ref: suspect.ref, reason: suspect.reason, evidence: suspect.evidence, prs });
      const out = buildRegressionCheck({ suspect: resolved, evaluation, prs, metricKinds: kinds, detailsUrl });
      await upsertCheckRun(octokit, deps.db, fullName, sha, {
        name: REGRESSION_CHECK_NAME,
        ...out,
        detailsUrl,
        externalId: `${evaluation.dataset}:${evaluation.ds}`,
      });
      published.push(resolved);
    } catch (err) {
      logGitHubError(log, err, { repo: fullName, sha: ref, event: "regression" }, "publishing the regression check");
    }
  }
  return published;
}
