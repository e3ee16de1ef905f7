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
import type { Evaluation, Verdict, VerdictKind } from "../shared/types.js";
import type { Decision, DecisionInput, Enforcement, Exemption, Reason } from "../shared/decision.js";

export type { Decision, DecisionInput, Enforcement, Exemption, GateState, OnMissingData, OverrideExemption, Reason, RevertExemption } from "../shared/decision.js";

/**
 * Whether a verdict can hold a commit: a guardrail that is enforced. The
 * repo's `metrics.<name>.enforce` wins either way; else the server's setting.
 */
export function isEnforcedGuardrail(v: Verdict, enforcement?: Enforcement | null): boolean {
  if (!v.guardrail) return false;
  return enforcement?.[v.metric]?.enforce ?? v.enforced !== false;
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
 * The decision for `sha`. `exemption` is looked up by the caller only when
 * the first answer is blocked (it costs a query and GitHub calls); an
 * exemption never opens a commit that is not blocked.
 */
export function decide(input: DecisionInput, sha: string, exemption: Exemption = null): Decision {
  const d = (x: Omit<Decision, "sha">): Decision => ({ sha, ...x });
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
      : { code: "missing", ds, status: evaluation.status, message: missing[0]?.message || null };
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
