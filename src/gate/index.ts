/**
 * The gate for (repo, sha) against the store: the repo's config (H5's
 * `repos` table), today's evaluation, overrides and suspect reverts, fed to
 * the pure `decideGate`. Every surface (protection rule, commit status, HTTP
 * gate) goes through `gateFor`, so they can never disagree.
 */
import type { AppDeps } from "../app/deps.js";
import { getRepo, isOverridden, type RepoRecord } from "../store/repos.js";
import { applyRepoOverrides } from "../config/repo-schema.js";
import { resolveDataset, type DatasetConfig } from "../config/load.js";
import { evaluateDay, latestEvaluation } from "../evaluate/index.js";
import { describeError } from "../shared/errors.js";
import { hoursSinceZoneDayEnd } from "../shared/dates.js";
import type { Evaluation } from "../shared/types.js";
import { dashboardLink } from "../shared/links.js";
import { decideGate, type GateAnswer } from "./decide.js";
import { suspectShasFor, matchReverts } from "./suspects.js";
import { gateAnswers } from "../shared/telemetry.js";
import { judgeCanaryForSha } from "../canary/index.js";

export type { GateAnswer, GateState } from "./decide.js";
export { decideGate } from "./decide.js";

export type GateDeps = Pick<AppDeps, "db" | "config" | "publicUrl" | "linkSecret">;

export interface GateOptions {
  /** Clock for the evaluation's freshness (tests). */
  now?: Date;
  /** Decide as of this past time (`as_of`): staleness, and only days that had ended by then. */
  asOf?: Date;
  /** The repo record when the caller already has it (saves a query). */
  record?: RepoRecord | null;
  /**
   * The commits `sha` reverts (from its commit message, via GitHub). Only
   * asked when a guardrail fails; without it there is no revert exemption.
   */
  revertsOf?: (sha: string) => Promise<string[]>;
  /** A view computed once for many SHAs of the same repo (commit statuses). */
  view?: RepoView;
}

/**
 * Today's verdicts for the repo's view of the dataset: judged now (so stale
 * data shows as stale and the repo's threshold overrides apply), falling back
 * to the newest stored evaluation if judging fails — but only while that day
 * is inside the freshness window: an old stored pass must never open the gate.
 */
export function currentEvaluation(deps: GateDeps, cfg: DatasetConfig, now?: Date, asOf?: Date): { evaluation: Evaluation | null; error: string | null } {
  try {
    return { evaluation: evaluateDay(deps.db, cfg, { persist: false, now, asOf }), error: null };
  } catch (err) {
    try {
      const stored = latestEvaluation(deps.db, cfg.name);
      if (stored && isFresh(stored.ds, cfg, now ?? new Date())) return { evaluation: stored, error: null };
    } catch {
      // Fall through: report why judging failed.
    }
    return { evaluation: null, error: describeError(err) };
  }
}

/** Whether day `ds` ended (midnight in the dataset's zone) less than the dataset's freshness window ago, as evaluate judges staleness. */
function isFresh(ds: string, cfg: DatasetConfig, now: Date): boolean {
  return hoursSinceZoneDayEnd(ds, cfg.timezone, now) <= cfg.evaluation.freshness_hours;
}

function unknown(repo: string, sha: string, reason: string, ds: string | null = null, detailsUrl: string | null = null): GateAnswer {
  return { state: "unknown", reasons: [reason], ds, details_url: detailsUrl, repo, sha, exemption: null, failing: [] };
}

/** What a repo sees of its dataset: its config with overrides applied and today's evaluation, or why not. */
export type RepoView =
  | { ok: true; record: RepoRecord; cfg: DatasetConfig; evaluation: Evaluation | null; error: string | null; detailsUrl: string | null }
  | { ok: false; record: RepoRecord | null; reason: string | null };

export function repoView(deps: GateDeps, record: RepoRecord | null, now?: Date, asOf?: Date): RepoView {
  if (!record) return { ok: false, record, reason: null };
  if (record.configError) return { ok: false, record, reason: record.configError };
  let cfg: DatasetConfig;
  try {
    const applied = applyRepoOverrides(resolveDataset(deps.config, record.dataset), record.config);
    if (!applied.ok) return { ok: false, record, reason: applied.error };
    cfg = applied.config;
  } catch (err) {
    return { ok: false, record, reason: describeError(err) };
  }
  const { evaluation, error } = asOf ? currentEvaluation(deps, cfg, asOf, asOf) : currentEvaluation(deps, cfg, now);
  const detailsUrl = dashboardLink(deps, cfg.name, evaluation?.ds ?? null, record.repo);
  return { ok: true, record, cfg, evaluation, error, detailsUrl };
}

/** The deploy decision for (repo, sha); every answer is counted by state (docs/operations.md#metrics). */
export async function gateFor(deps: GateDeps, repo: string, sha: string, opts: GateOptions = {}): Promise<GateAnswer> {
  const answer = await decideFor(deps, repo, sha, opts);
  gateAnswers.inc({ state: answer.state });
  return answer;
}

async function decideFor(deps: GateDeps, repo: string, sha: string, opts: GateOptions): Promise<GateAnswer> {
  const view = opts.view ?? repoView(deps, opts.record !== undefined ? opts.record : getRepo(deps.db, repo), opts.now, opts.asOf);
  if (!view.ok) {
    if (view.reason) return unknown(repo, sha, view.reason);
    return decideGate({ repo, sha, repoConfig: null, evaluation: null, detailsUrl: null });
  }
  const { record, cfg, evaluation, error, detailsUrl } = view;
  // The commit's own traffic (docs/canary.md): a failing canary holds it even without a site-wide verdict.
  const canary = judgeCanaryForSha(deps.db, cfg, repo, sha);
  if (!evaluation && error && canary?.status !== "fail") return unknown(repo, sha, `No verdict for dataset "${cfg.name}": ${error}`, null, detailsUrl);

  const input = {
    repo,
    sha,
    repoConfig: record.config,
    evaluation,
    detailsUrl,
    override: null as null | { actor: string; reason: string; created_at: string },
    revertsSuspects: [] as string[],
    canary,
  };
  const first = decideGate(input);
  // Exemptions only matter when something holds the deploy; skip their queries (and GitHub calls) otherwise.
  if (first.state !== "blocked") return first;

  const o = isOverridden(deps.db, repo, sha);
  if (o) input.override = { actor: o.actor, reason: o.reason, created_at: o.createdAt };
  if (!o && opts.revertsOf && evaluation && (first.failing?.length ?? 0) > 0) {
    const suspects = suspectShasFor(deps.db, repo, cfg.name, evaluation.ds);
    if (suspects.length > 0) {
      try {
        input.revertsSuspects = matchReverts(await opts.revertsOf(sha), suspects);
      } catch {
        // GitHub unreachable: no exemption, the block stands (fail closed on a failing guardrail).
      }
    }
  }
  return decideGate(input);
}
