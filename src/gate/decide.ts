/**
 * The deploy decision for one (repo, sha), docs/deploy-gate.md: pure, so every surface
 * (protection rule, commit status, HTTP gate) answers the same thing.
 *
 * - open: the enforced guardrails pass (a warn is open, with a note).
 * - blocked: an enforced guardrail fails, unless the SHA reverts a suspect
 *   commit or a maintainer overrode it (the reasons then say so).
 * - unknown: no verdict to go on (no data, stale, audit failed, repo not
 *   configured) — unless the repo's `on_missing_data` maps it to open/blocked.
 */
import type { Evaluation, Verdict } from "../shared/types.js";
import type { CanaryJudgement } from "../canary/index.js";
import { canaryGateReason } from "../present/canary.js";

export type GateState = "open" | "blocked" | "unknown";
export type OnMissingData = "neutral" | "success" | "failure";

/** The HTTP gate's JSON (docs/deploy-gate.md): fields may be added, never renamed. */
export interface GateAnswer {
  state: GateState;
  reasons: string[];
  ds: string | null;
  details_url: string | null;
  /** Added: the repo and SHA the answer is for, and which exemption applied. */
  repo?: string;
  sha?: string;
  exemption?: "override" | "revert" | null;
  /** Added: the enforced guardrails that fail (empty when none). */
  failing?: string[];
  /** Added: the commit's own canary, when a published day holds its traffic (docs/canary.md). */
  canary?: { ds: string; status: string; versions: string[]; failing: string[] } | null;
}

/** The part of the repo's `.github/guardrail.yml` the gate reads. */
export interface GateRepoConfig {
  dataset: string;
  on_missing_data: OnMissingData;
  metrics?: Record<string, { enforce?: boolean } | undefined>;
}

export interface OverrideInfo {
  actor?: string | null;
  reason?: string | null;
  created_at?: string | null;
}

export interface GateInput {
  repo: string;
  sha: string;
  /** Null: the repo is unknown (no installation record and no config). */
  repoConfig: GateRepoConfig | null;
  /** Null: nothing evaluated yet for the dataset. */
  evaluation: Evaluation | null;
  override?: OverrideInfo | null;
  /** Suspect commits this SHA reverts (full or short SHAs). */
  revertsSuspects?: string[];
  detailsUrl: string | null;
  /** The commit's canary judgement (docs/canary.md): a failing one holds the deploy unless overridden. */
  canary?: CanaryJudgement | null;
}

const MISSING: ReadonlySet<string> = new Set(["no_data", "inconclusive"]);

/** Whether a verdict can hold a deploy: an enforced guardrail (repo override wins). */
export function isEnforcedGuardrail(v: Verdict, repoConfig: GateRepoConfig | null): boolean {
  if (!v.guardrail) return false;
  const override = repoConfig?.metrics?.[v.metric]?.enforce;
  if (override !== undefined) return override;
  return v.enforced !== false;
}

function isRatio(v: Verdict): boolean {
  return v.denominator != null;
}

function fmtValue(v: Verdict, x: number | null): string {
  if (x == null || !Number.isFinite(x)) return "n/a";
  if (isRatio(v)) return `${(x * 100).toFixed(2)} %`;
  return Math.round(x).toLocaleString("en-US");
}

function fmtChange(change: number | null): string {
  if (change == null || !Number.isFinite(change)) return "";
  const pct = Math.abs(change * 100).toFixed(1);
  return change < 0 ? `fell ${pct} %` : `rose ${pct} %`;
}

/** "signup_conversion_rate fell 38.1 % to 2.41 % (expected 3.89 %, z = -7.2) on 2024-05-07" */
export function describeVerdict(v: Verdict, ds: string): string {
  const moved = fmtChange(v.change);
  const z = v.z != null && Number.isFinite(v.z) ? `, z = ${v.z.toFixed(1)}` : "";
  const head = moved ? `${v.metric} ${moved} to ${fmtValue(v, v.observed)}` : `${v.metric} is ${fmtValue(v, v.observed)}`;
  return `${head} (expected ${fmtValue(v, v.expected)}${z}) on ${ds}`;
}

function missingSentence(evaluation: Evaluation | null, missing: Verdict[]): string {
  if (!evaluation) return "No evaluation exists yet for this dataset, so there is no verdict to gate on.";
  const first = missing[0];
  const why = first?.message ? ` ${first.message}` : "";
  return `The guardrails have no verdict for ${evaluation.ds} (${evaluation.status}).${why}`.trim();
}

function applyMissingPolicy(policy: OnMissingData, reasons: string[]): { state: GateState; reasons: string[] } {
  if (policy === "success") return { state: "open", reasons: [...reasons, "on_missing_data is success, so the deploy may go."] };
  if (policy === "failure") return { state: "blocked", reasons: [...reasons, "on_missing_data is failure, so the deploy waits for data."] };
  return { state: "unknown", reasons };
}

function overrideSentence(o: OverrideInfo): string {
  const who = o.actor ? ` by @${o.actor}` : "";
  const when = o.created_at ? ` on ${o.created_at.slice(0, 10)}` : "";
  const why = o.reason ? `: “${o.reason}”` : "";
  return `Exempt: a maintainer overrode the guardrail for this commit${who}${when}${why}.`;
}

/**
 * The site-wide decision, then the commit's own canary: a failing canary
 * holds the deploy whatever the site-wide guardrails say (a revert is exempt
 * from a freeze, not from its own canary); an override of the commit opens it.
 */
export function decideGate(input: GateInput): GateAnswer {
  const site = decideSite(input);
  const j = input.canary ?? null;
  if (!j || !input.repoConfig) return site;
  const canary = { ds: j.ds, status: j.status, versions: j.versions, failing: j.metrics.filter((m) => m.verdict === "fail").map((m) => m.metric) };
  if (j.status !== "fail") return { ...site, canary };
  const reason = canaryGateReason(j);
  if (input.override) {
    const note = overrideSentence(input.override);
    const reasons = [reason, ...site.reasons.filter((r) => r !== note), note];
    return { ...site, reasons, exemption: "override", canary };
  }
  return { ...site, state: "blocked", reasons: [reason, ...site.reasons], exemption: null, canary };
}

function decideSite(input: GateInput): GateAnswer {
  const { repo, sha, repoConfig, evaluation, detailsUrl } = input;
  const base = { repo, sha, details_url: detailsUrl, ds: evaluation?.ds ?? null };

  if (!repoConfig) {
    return {
      ...base,
      state: "unknown",
      reasons: [`${repo} is not configured for Guardrail: install the app on it (and add .github/guardrail.yml to pick a dataset).`],
      exemption: null,
      failing: [],
    };
  }

  const enforced = (evaluation?.verdicts ?? []).filter((v) => isEnforcedGuardrail(v, repoConfig));
  const failing = enforced.filter((v) => v.verdict === "fail");
  const missing = enforced.filter((v) => MISSING.has(v.verdict));
  const warns = enforced.filter((v) => v.verdict === "warn");
  const ds = evaluation?.ds ?? "";

  if (failing.length > 0) {
    const reasons = failing.map((v) => `Guardrail ${describeVerdict(v, ds)}.`);
    const failingNames = failing.map((v) => v.metric);
    if (input.override) {
      return { ...base, state: "open", reasons: [...reasons, overrideSentence(input.override)], exemption: "override", failing: failingNames };
    }
    const reverted = input.revertsSuspects ?? [];
    if (reverted.length > 0) {
      const list = reverted.map((s) => s.slice(0, 7)).join(", ");
      return {
        ...base,
        state: "open",
        reasons: [...reasons, `Exempt: this commit reverts suspect commit${reverted.length > 1 ? "s" : ""} ${list}.`],
        exemption: "revert",
        failing: failingNames,
      };
    }
    return { ...base, state: "blocked", reasons, exemption: null, failing: failingNames };
  }

  if (!evaluation || enforced.length === 0 || missing.length > 0) {
    const reasons = [enforced.length === 0 && evaluation ? `No enforced guardrail was evaluated for ${evaluation.ds}.` : missingSentence(evaluation, missing)];
    const decided = applyMissingPolicy(repoConfig.on_missing_data, reasons);
    if (decided.state === "blocked" && input.override) {
      return { ...base, ...decided, state: "open", reasons: [...decided.reasons, overrideSentence(input.override)], exemption: "override", failing: [] };
    }
    return { ...base, ...decided, exemption: null, failing: [] };
  }

  const reasons = [`All enforced guardrails pass for ${ds}.`];
  for (const v of warns) reasons.push(`Warning (not blocking): ${describeVerdict(v, ds)}.`);
  return { ...base, state: "open", reasons, exemption: null, failing: [] };
}
