/**
 * The decision (src/gate/decide.ts) in words: one sentence per reason code,
 * and the gate's JSON answer (docs/deploy-gate.md). Numbers go through
 * ./format.ts like every other surface.
 */
import type { Exemption } from "../shared/decision.js";
import type { Decision, Reason } from "../gate/decide.js";
import { canaryGateReason } from "./canary.js";
import type { Evaluation, GateAnswer, MetricKind, Verdict } from "../shared/types.js";
import { fmtMoved, fmtValue, fmtZ, kindOf } from "./format.js";

/** "signup_conversion_rate fell 38.1 % to 2.41 % (expected 3.89 %, z = −7.2) on 2024-05-07" */
export function describeVerdict(v: Verdict, ds: string, kinds?: Readonly<Record<string, MetricKind>>): string {
  const kind = kindOf(v, kinds);
  const moved = fmtMoved(v.change);
  const z = v.z != null && Number.isFinite(v.z) ? `, z = ${fmtZ(v.z)}` : "";
  const head = moved ? `${v.metric} ${moved} to ${fmtValue(v.observed, kind)}` : `${v.metric} is ${fmtValue(v.observed, kind)}`;
  return `${head} (expected ${fmtValue(v.expected, kind)}${z}) on ${ds}`;
}

/** "Exempt: …" — why a blocked commit may go. */
export function exemptionSentence(e: NonNullable<Exemption>): string {
  if (e.kind === "override") {
    const who = e.actor ? ` by @${e.actor}` : "";
    const when = e.createdAt ? ` on ${e.createdAt.slice(0, 10)}` : "";
    const why = e.reason ? `: “${e.reason}”` : "";
    return `Exempt: a maintainer overrode the guardrail for this commit${who}${when}${why}.`;
  }
  return `Exempt: this commit reverts suspect commit${e.reverted.length > 1 ? "s" : ""} ${e.reverted.join(", ")}.`;
}

export function reasonSentence(r: Reason, kinds?: Readonly<Record<string, MetricKind>>): string {
  switch (r.code) {
    case "not_installed":
      return `${r.repo} is not configured for Guardrail: install the app on it (and add .github/guardrail.yml to pick a dataset).`;
    case "config_error":
      return r.message;
    case "evaluation_failed":
      return `No verdict for dataset "${r.dataset}": ${r.error}`;
    case "no_evaluation":
      return "No evaluation exists yet for this dataset, so there is no verdict to gate on.";
    case "none_enforced":
      return `No enforced guardrail was evaluated for ${r.ds}, so nothing holds the deploy.`;
    case "missing":
      if (r.partial !== undefined)
        return `The export for ${r.ds} was published partial${r.partial ? ` (${r.partial})` : ""}, so the guardrails are inconclusive until a complete export of that day replaces it.`;
      return `The guardrails have no verdict for ${r.ds} (${r.status}).${r.message ? ` ${r.message}` : ""}`;
    case "policy":
      return r.policy === "success" ? "on_missing_data is success, so the deploy may go." : "on_missing_data is failure, so the deploy waits for data.";
    case "fails":
      return `Guardrail ${describeVerdict(r.verdict, r.ds, kinds)}.`;
    case "exempt":
      return exemptionSentence(r.exemption);
    case "passes":
      return `All enforced guardrails pass for ${r.ds}.`;
    case "warns":
      return `Warning (not blocking): ${describeVerdict(r.verdict, r.ds, kinds)}.`;
    case "canary_fails":
      return canaryGateReason(r.canary);
  }
}

/** The gate's answer (HTTP JSON, protection-rule comment, commit status) for a decision. */
export function gateAnswer(
  decision: Decision,
  view: { repo: string; evaluation: Pick<Evaluation, "ds" | "data"> | null; detailsUrl: string | null; kinds?: Readonly<Record<string, MetricKind>> },
): GateAnswer {
  const partial = view.evaluation?.data?.state === "partial" ? view.evaluation.data.partial_reason : undefined;
  return {
    state: decision.state,
    reasons: decision.reasons.map((r) => reasonSentence(r, view.kinds)),
    ds: view.evaluation?.ds ?? null,
    details_url: view.detailsUrl,
    repo: view.repo,
    sha: decision.sha,
    exemption: decision.exemption?.kind ?? null,
    failing: decision.failing.map((v) => v.metric),
    ...(decision.canary ? { canary: canaryOf(decision.canary) } : {}),
    ...(partial !== undefined ? { partial_reason: partial } : {}),
  };
}

/** "metrics of 2024-05-07", marked when that day was published partial: the head of the gate's answer on every surface. */
export function metricsOfWords(answer: Pick<GateAnswer, "ds" | "partial_reason">): string {
  return answer.ds ? `metrics of ${answer.ds}${answer.partial_reason !== undefined ? ", published PARTIAL" : ""}` : "";
}

/** The canary part of the gate's JSON (docs/canary.md). */
function canaryOf(j: NonNullable<Decision["canary"]>): NonNullable<GateAnswer["canary"]> {
  return { ds: j.ds, status: j.status, versions: j.versions, failing: j.metrics.filter((m) => m.verdict === "fail").map((m) => m.metric) };
}
