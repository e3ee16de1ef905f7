/** The shapes of the alert lifecycle (docs/alerts.md). */
import type { CheckResult, Evaluation, MetricKind } from "../shared/types.js";
import type { Enforcement } from "../gate/decide.js";

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

/** A suspect change, as shown in an incident issue. */
export interface SuspectLine {
  /** e.g. "commit abc1234 (deployed to production 2026-11-04 16:02 UTC)". */
  text: string;
  url?: string;
  pulls?: { number: number; title?: string; url?: string }[];
}

/** What the renderer needs besides the event. */
export interface RenderContext {
  /** Signed dashboard link, if the service knows its public URL. */
  dashboardUrl?: string;
  suspects?: SuspectLine[];
  /** Each metric's kind, from the metric definitions (a verdict's own `kind` wins). */
  kinds?: Readonly<Record<string, MetricKind>>;
  /** The repo's `enforce` overrides (a metric not enforced is shown but never opens an issue). */
  enforcement?: Enforcement | null;
}
