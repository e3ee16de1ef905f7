/**
 * "May this commit go?" — the one decision behind every GitHub surface: the
 * `guardrail` PR check, the `guardrail/regression` checks, the deploy gate
 * (protection rule, `guardrail/deploy` status, HTTP) and the incident issue
 * (docs/deploy-gate.md, docs/github-app.md). Pure: it returns a state, the
 * failing guardrails, the exemption that applied and reason codes; the words
 * are written in src/present/.
 *
 * - open: the enforced guardrails pass (a warn is open, with a note).
 * - blocked: an enforced guardrail fails, unless the SHA reverts a suspect
 *   commit or a maintainer overrode it (the reasons then say so).
 * - unknown: no verdict to go on (no data, stale, audit failed, evaluation
 *   failed, repo not configured) — unless the repo's `on_missing_data` maps
 *   it to open or blocked. A judged day on which the repo enforces no
 *   guardrail is open: nothing holds the commit.
 */
import type { Evaluation, RepoName, Verdict, VerdictKind } from "../shared/types.js";
import type { Enforcement, Exemption, GateState, OnMissingData } from "../shared/decision.js";
import type { CanaryJudgement } from "../canary/index.js";

export type { Enforcement, Exemption, GateState, OnMissingData, OverrideExemption, RevertExemption } from "../shared/decision.js";
import { isEnforcedGuardrail } from "../shared/decision.js";
export { isEnforcedGuardrail };

/** What the decision is made from: one repo's view of one evaluation (src/gate/view.ts builds it). */
export interface DecisionInput {
  repo: RepoName;
  /** False: no installation record (the app is not on the repo). */
  known: boolean;
  /** An invalid `.github/guardrail.yml` or metric override, as a sentence. */
  configError: string | null;
  dataset: string;
  onMissingData: OnMissingData;
  enforcement: Enforcement;
  evaluation: Evaluation | null;
  /** Why there is no evaluation (judging failed), as a sentence. */
  evaluationError: string | null;
}

/** Why the decision is what it is; src/present/decision.ts writes each as a sentence. */
export type Reason =
  | { code: "not_installed"; repo: RepoName }
  | { code: "config_error"; message: string }
  | { code: "evaluation_failed"; dataset: string; error: string }
  | { code: "no_evaluation" }
  | { code: "none_enforced"; ds: string }
  | { code: "missing"; ds: string; status: VerdictKind; message: string | null; partial?: string }
  | { code: "policy"; policy: "success" | "failure" }
  | { code: "fails"; verdict: Verdict; ds: string }
  | { code: "exempt"; exemption: NonNullable<Exemption> }
  | { code: "passes"; ds: string }
  | { code: "warns"; verdict: Verdict; ds: string }
  | { code: "canary_fails"; canary: CanaryJudgement };

export interface Decision {
  /** The commit decided about. */
  sha: string;
  state: GateState;
  /** The enforced guardrails that fail (empty when none). */
  failing: Verdict[];
  /** The exemption that opened a blocked commit, else null. */
  exemption: Exemption;
  reasons: Reason[];
  /** What the enforced guardrails say, before exemptions and `on_missing_data`. */
  outcome: "fails" | "passes" | "missing";
  /** The commit's own canary, when a published day holds its traffic (docs/canary.md). */
  canary: CanaryJudgement | null;
}


/** Enforced guardrail verdicts, after the repo's `enforce` overrides. */
export function enforcedGuardrails(evaluation: Evaluation, enforcement?: Enforcement | null): Verdict[] {
  return evaluation.verdicts.filter((v) => isEnforcedGuardrail(v, enforcement));
}

/** The failing enforced guardrails, in the evaluation's order. */
export function failingGuardrails(evaluation: Evaluation, enforcement?: Enforcement | null): Verdict[] {
  return enforcedGuardrails(evaluation, enforcement).filter((v) => v.verdict === "fail");
}

/**
 * What the enforced guardrails say about the day: `fails` when one fails,
 * `passes` when every one was judged (pass or warn), else `missing` (no
 * evaluation, no enforced guardrail, or missing / inconclusive data).
 */
export function outcomeOf(evaluation: Evaluation | null, enforcement?: Enforcement | null): "fails" | "passes" | "missing" {
  if (!evaluation) return "missing";
  const enforced = enforcedGuardrails(evaluation, enforcement);
  if (enforced.some((v) => v.verdict === "fail")) return "fails";
  if (enforced.length > 0 && enforced.every((v) => v.verdict === "pass" || v.verdict === "warn")) return "passes";
  return "missing";
}

const MISSING: ReadonlySet<VerdictKind> = new Set(["no_data", "inconclusive"]);

/**
 * The decision for `sha`: the site-wide guardrails, then the commit's own
 * canary. `exemption` is looked up by the caller only when the first answer
 * is blocked (it costs a query and GitHub calls); an exemption never opens a
 * commit that is not blocked.
 */
export function decide(input: DecisionInput, sha: string, exemption: Exemption = null, canary: CanaryJudgement | null = null): Decision {
  const site = decideSite(input, sha, exemption);
  if (!canary || !input.known || input.configError) return site;
  if (canary.status !== "fail") return { ...site, canary };
  // A failing canary holds the commit whatever the site-wide guardrails say: a revert is exempt
  // from a freeze, not from its own canary; an override of the commit opens it.
  const reason: Reason = { code: "canary_fails", canary };
  if (exemption?.kind === "override") {
    const exempt: Reason = { code: "exempt", exemption };
    return { ...site, reasons: [reason, ...site.reasons.filter((r) => r.code !== "exempt"), exempt], exemption, canary };
  }
  return { ...site, state: "blocked", reasons: [reason, ...site.reasons], exemption: null, canary };
}

function decideSite(input: DecisionInput, sha: string, exemption: Exemption): Decision {
  const d = (x: Omit<Decision, "sha" | "canary">): Decision => ({ sha, canary: null, ...x });
  if (!input.known && !input.configError) return d({ state: "unknown", failing: [], exemption: null, reasons: [{ code: "not_installed", repo: input.repo }], outcome: "missing" });
  if (input.configError) return d({ state: "unknown", failing: [], exemption: null, reasons: [{ code: "config_error", message: input.configError }], outcome: "missing" });

  const { evaluation } = input;
  const enforced = evaluation ? enforcedGuardrails(evaluation, input.enforcement) : [];
  const failing = enforced.filter((v) => v.verdict === "fail");
  const missing = enforced.filter((v) => MISSING.has(v.verdict));
  const ds = evaluation?.ds ?? "";
  const outcome = outcomeOf(evaluation, input.enforcement);

  if (failing.length > 0) {
    const reasons: Reason[] = failing.map((verdict) => ({ code: "fails", verdict, ds }));
    if (exemption) return d({ state: "open", failing, exemption, reasons: [...reasons, { code: "exempt", exemption }], outcome });
    return d({ state: "blocked", failing, exemption: null, reasons, outcome });
  }

  const noVerdict = !evaluation || missing.length > 0 || (enforced.length === 0 && MISSING.has(evaluation.status));
  if (noVerdict) {
    const why: Reason = !evaluation
      ? input.evaluationError
        ? { code: "evaluation_failed", dataset: input.dataset, error: input.evaluationError }
        : { code: "no_evaluation" }
      : {
          code: "missing",
          ds,
          status: evaluation.status,
          message: missing[0]?.message || null,
          // A day published partial (docs/ingest.md, "Partial days") says so first, on every surface.
          ...(evaluation.data?.state === "partial" ? { partial: evaluation.data.partial_reason ?? "" } : {}),
        };
    const policy = input.onMissingData;
    if (policy === "success") return d({ state: "open", failing, exemption: null, reasons: [why, { code: "policy", policy }], outcome });
    if (policy === "failure") {
      const reasons: Reason[] = [why, { code: "policy", policy }];
      // Only an override vouches for a commit held for lack of data; a revert is no evidence of recovery.
      if (exemption?.kind === "override") return d({ state: "open", failing, exemption, reasons: [...reasons, { code: "exempt", exemption }], outcome });
      return d({ state: "blocked", failing, exemption: null, reasons, outcome });
    }
    return d({ state: "unknown", failing, exemption: null, reasons: [why], outcome });
  }

  // The repo enforces no guardrail of a judged day (all report-only): nothing holds the commit.
  if (enforced.length === 0) return d({ state: "open", failing, exemption: null, reasons: [{ code: "none_enforced", ds }], outcome });

  const reasons: Reason[] = [{ code: "passes", ds }];
  for (const verdict of enforced.filter((v) => v.verdict === "warn")) reasons.push({ code: "warns", verdict, ds });
  return d({ state: "open", failing, exemption: null, reasons, outcome });
}
