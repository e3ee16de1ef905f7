/**
 * The vocabulary of the one decision (src/gate/decide.ts): what it is made
 * from, the state it answers, the exemption that applied and why, as codes.
 * Shared so src/present/ can word it without importing the decision.
 */
import type { Evaluation, RepoName, Verdict, VerdictKind } from "./types.js";

export type GateState = "open" | "blocked" | "unknown";
export type OnMissingData = "neutral" | "success" | "failure";

/** A repo's `metrics.<name>.enforce` overrides (the `metrics` of `.github/guardrail.yml`). */
export type Enforcement = Readonly<Record<string, { enforce?: boolean } | undefined>>;

/** An override recorded by `/guardrail override` for this exact SHA. */
export interface OverrideExemption {
  kind: "override";
  actor: string;
  reason: string;
  /** ISO time of the override. */
  createdAt: string;
}

/** The commit reverts a suspect of the decline: the fix may go during the freeze. */
export interface RevertExemption {
  kind: "revert";
  /** What is reverted: short SHAs, or a release tag / app_version when no SHA is known. */
  reverted: string[];
  /** Why the reverted commit is suspected, when known. */
  evidence?: string | null;
}

export type Exemption = OverrideExemption | RevertExemption | null;

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
  | { code: "missing"; ds: string; status: VerdictKind; message: string | null }
  | { code: "policy"; policy: "success" | "failure" }
  | { code: "fails"; verdict: Verdict; ds: string }
  | { code: "exempt"; exemption: NonNullable<Exemption> }
  | { code: "passes"; ds: string }
  | { code: "warns"; verdict: Verdict; ds: string };

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
}

