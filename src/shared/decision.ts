/**
 * The words of the one decision (src/gate/decide.ts) that lower layers share:
 * the state it answers, the repo's enforce settings and the exemptions.
 */
import type { Verdict } from "./types.js";

export type GateState = "open" | "blocked" | "unknown";
export type OnMissingData = "neutral" | "success" | "failure";

/** A repo's `metrics.<name>.enforce` overrides (the `metrics` of `.github/guardrail.yml`). */
export type Enforcement = Readonly<Record<string, { enforce?: boolean } | undefined>>;

/**
 * Whether a verdict can hold a commit: a guardrail that is enforced. The
 * repo's `metrics.<name>.enforce` wins either way; else the server's setting
 * (without `enforcement`: the server's setting alone). The one definition.
 */
export function isEnforcedGuardrail(v: Pick<Verdict, "metric" | "guardrail" | "enforced">, enforcement?: Enforcement | null): boolean {
  if (!v.guardrail) return false;
  return enforcement?.[v.metric]?.enforce ?? v.enforced !== false;
}

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
