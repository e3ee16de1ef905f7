/**
 * The gate for (repo, sha) against the store: the repo's view (config,
 * today's evaluation, enforced guardrails), overrides and suspect reverts,
 * fed to the pure `decide`. Every deploy surface (protection rule, commit
 * status, HTTP gate) goes through `gateFor`, and the PR check through the
 * same `decide`, so they can never disagree.
 */
import { isOverridden } from "../store/repos.js";
import { suspectShasFor } from "../store/suspects.js";
import { matchReverts } from "../suspects/index.js";
import type { GateAnswer, RepoName, Verdict } from "../shared/types.js";
import { gateAnswer } from "../present/decision.js";
import { gateAnswers } from "../shared/telemetry.js";
import { judgeCanaryForSha, type CanaryJudgement } from "../canary/index.js";
import { decide, type Decision, type Exemption, type RevertExemption } from "./decide.js";
import { buildRepoView, type RepoView, type ViewDeps, type ViewOptions } from "./view.js";

export { decide, isEnforcedGuardrail, enforcedGuardrails, failingGuardrails, outcomeOf } from "./decide.js";
export type { Decision, Exemption, GateState, Reason } from "./decide.js";
export { buildRepoView, currentEvaluation, type RepoView, type ViewDeps, type Evaluator } from "./view.js";
export type { GateAnswer } from "../shared/types.js";

export interface GateOptions extends ViewOptions {
  /**
   * The commits `sha` reverts (from its commit message, via GitHub). Only
   * asked when a guardrail fails; without it there is no revert exemption.
   */
  revertsOf?: (sha: string) => Promise<string[]>;
  /** A view built once for many SHAs of the same repo (commit statuses, the fan-out). */
  view?: RepoView;
}

/** The override of this exact SHA, as an exemption, or null. */
export function overrideExemption(deps: Pick<ViewDeps, "db">, repo: RepoName, sha: string): Exemption {
  const o = isOverridden(deps.db, repo, sha);
  return o ? { kind: "override", actor: o.actor, reason: o.reason, createdAt: o.createdAt } : null;
}

/**
 * The decision with its exemptions, looked up only when something holds the
 * commit (they cost a query and GitHub calls): an override of this SHA first;
 * else, when a guardrail fails, the revert `findRevert` finds for the failing
 * guardrails. Every surface decides through here.
 */
export async function decideWithExemptions(
  deps: Pick<ViewDeps, "db">,
  view: RepoView,
  sha: string,
  findRevert?: (failing: Verdict[]) => Promise<RevertExemption | null>,
  canary: CanaryJudgement | null = null,
): Promise<Decision> {
  const first = decide(view, sha, null, canary);
  if (first.state !== "blocked") return first;
  const override = overrideExemption(deps, view.repo, sha);
  if (override) return decide(view, sha, override, canary);
  if (!findRevert || !view.evaluation || first.failing.length === 0) return first;
  const revert = await findRevert(first.failing);
  return revert ? decide(view, sha, revert, canary) : first;
}

/** The deploy surfaces' decision: a revert is a commit whose message reverts a suspect the app named. */
export function gateDecision(deps: ViewDeps, view: RepoView, sha: string, revertsOf?: (sha: string) => Promise<string[]>): Promise<Decision> {
  // The commit's own traffic (docs/canary.md): a failing canary holds it even without a site-wide verdict.
  const canary = view.cfg ? judgeCanaryForSha(deps.db, view.cfg, view.repo, sha) : null;
  return decideWithExemptions(deps, view, sha, async () => {
    const suspects = revertsOf && view.evaluation ? suspectShasFor(deps.db, view.repo, view.dataset, view.evaluation.ds) : [];
    if (!revertsOf || suspects.length === 0) return null;
    let reverted: string[] = [];
    try {
      reverted = matchReverts(await revertsOf(sha), suspects);
    } catch {
      // GitHub unreachable: no exemption, the block stands (fail closed on a failing guardrail).
    }
    return reverted.length > 0 ? { kind: "revert", reverted: reverted.map((s) => s.slice(0, 7)) } : null;
  }, canary);
}

/** The deploy answer for (repo, sha); every answer is counted by state (docs/operations.md#metrics). */
export async function gateFor(deps: ViewDeps, repo: RepoName, sha: string, opts: GateOptions = {}): Promise<GateAnswer> {
  const view = opts.view ?? buildRepoView(deps, repo, opts);
  const answer = gateAnswer(await gateDecision(deps, view, sha, opts.revertsOf), view);
  gateAnswers.inc({ state: answer.state });
  return answer;
}
