/** The shapes of the alert lifecycle (docs/alerts.md). */
import type { CheckResult, Evaluation } from "../shared/types.js";

/**
 * Something that may open, update or close an incident.
 * `breach` and `recovery` are interchangeable: the verdicts inside the
 * evaluation decide (an enforced guardrail fails → breach; every enforced
 * guardrail judged and none failing → recovery; missing data → nothing).
 */
export type AlertEvent =
  | { kind: "breach"; evaluation: Evaluation }
  | { kind: "recovery"; evaluation: Evaluation }
  | { kind: "audit_failed"; dataset: string; ds: string; checks: CheckResult[] }
  | {
      kind: "stale";
      dataset: string;
      latestDs: string | null;
      ageHours: number | null;
      /** The freshness window, for the message. */
      freshnessHours?: number;
      /** Calendar day of the check (one comment per day while stale); default: today UTC. */
      today?: string;
    }
  /** A partition was published (`ds`) or fresh data is present: closes data problems it fixes. */
  | { kind: "data_ok"; dataset: string; ds?: string };

export type { IncidentKind, IncidentState, IncidentDecision } from "../store/incidents.js";
export { INCIDENT_KINDS } from "../store/incidents.js";

/** The part of `.github/guardrail.yml` the alerts read (RepoConfig of src/config/repo-schema.ts). */
export interface RepoAlertConfig {
  alerts?: { issue?: boolean };
  metrics?: Record<string, { enforce?: boolean } | undefined>;
}

/** The one logger (src/shared/log.ts). */
export type { Log as AlertLog } from "../shared/log.js";
