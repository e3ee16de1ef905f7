/**
 * The shapes that cross module boundaries. JSON-facing ones follow docs/cli.md
 * exactly (fields may be added, never renamed).
 */

/** A row of the export after parsing and validation (docs/ingest.md). */
export interface EventRow {
  /** 1-based physical line in the file (CSV header is line 1). */
  line: number;
  /** Exact signed 64-bit decimal text, or null. Never a JS number: ids exceed 2^53. */
  user_id: string | null;
  logged_out_user_id: string;
  dim_hostname: string;
  dim_country: string;
  dim_device_brand: string | null;
  /** Canonical action type, aliases applied. */
  action_type: string;
  /** UTC epoch milliseconds. */
  event_ms: number;
  other_properties: Record<string, string>;
  ds: string;
}

export type CheckStatus = "pass" | "warn" | "fail" | "skipped";

/** One quality check outcome (docs/ingest.md, ingest JSON `checks[]`). */
export interface CheckResult {
  name: string;
  table: "fct_website_events" | "agg_website_events";
  severity: "error" | "warn";
  status: CheckStatus;
  observed: string | number | null;
  threshold: string | number | null;
  message: string;
}

/** `guardrail ingest --json` (docs/cli.md). */
export interface IngestResult {
  ds: string;
  dataset: string;
  published: boolean;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  duplicates: number;
  checks: CheckResult[];
  rejects_sample: { line: number; reason: string }[];
  /** Added: the day was published marked partial (docs/ingest.md, "Completeness"), and why. */
  partial?: boolean;
  partial_reason?: string | null;
  /** Added: the batch id in the partition registry. */
  batch_id?: number;
  source_files?: string[];
}

/** One row of agg_website_events (docs/metrics.md, plus dim_product_type / dim_app_version). */
export interface AggRow {
  ds: string;
  aggregation_level: string;
  action_type: string | null;
  dim_hostname: string | null;
  dim_country: string | null;
  dim_device_brand: string | null;
  dim_channel: string | null;
  dim_product_type: string | null;
  dim_app_version: string | null;
  event_hour: number | null;
  m_total_events: number;
  m_unique_visitors: number;
  m_unique_users: number;
  /** Added: visits started in the slice (docs/metrics.md, "Channels and visits"); null when an aggregate export lacks it. */
  m_visits: number | null;
}

/** `guardrail report --json` metric entry. `value` is null when undefined (zero denominator). */
export interface MetricReport {
  value: number | null;
  numerator?: number;
  denominator?: number;
  breakdown: Record<string, Record<string, number | null>>;
}

export interface Report {
  ds: string;
  dataset: string;
  metrics: Record<string, MetricReport>;
  /** Added: the day was published partial (docs/ingest.md, "Completeness"): why. Absent for a complete day. */
  partial_reason?: string;
}

export type VerdictKind = "pass" | "warn" | "fail" | "no_data" | "inconclusive";

/** What a metric measures, from its definition: a count (a whole number) or a ratio (shown as a percentage). */
export type MetricKind = "count" | "ratio";

/** A repository as GitHub names it: "owner/name". */
export type RepoName = string;

export interface Segment {
  dimension: string;
  value: string;
  observed: number | null;
  expected: number | null;
  change: number | null;
  /** Share of the total decline this segment explains (0…1, may exceed 1 or be negative). */
  contribution: number;
}

/** The within-day rule's run of hours (docs/verdicts.md, "Within the day"). */
export interface HourlyRun {
  /** First hour of the run (0 … 23). */
  from: number;
  /** Hour after the last one (1 … 24): the run is [from, to). */
  to: number;
  observed: number;
  /** What the rest of the day predicts for the run. */
  expected: number;
  /** observed / expected − 1. */
  change: number;
  /** z of the exact tail probability (before the multiplicity correction). */
  z: number;
  /** The z the run had to pass: the sensitivity corrected for the runs scanned. */
  threshold: number;
}

/** The across-days rule's evidence (docs/verdicts.md, "Across days"). */
export interface SequentialFigures {
  cusum: number;
  threshold: number;
  days: number;
  change: number | null;
  failing_since: string | null;
}

export interface Verdict {
  metric: string;
  guardrail: boolean;
  /** Added: false when the metric is report-only (`enforce: false`). */
  enforced?: boolean;
  verdict: VerdictKind;
  observed: number | null;
  expected: number | null;
  lower: number | null;
  upper: number | null;
  /** Relative change, (observed − expected) / expected. */
  change: number | null;
  z: number | null;
  baseline_days: string[];
  message: string;
  segments: Segment[];
  /** Added: rate-inside-segments vs mix-shift split, when localised. */
  decomposition?: { rate: number; mix: number; dimension: string } | null;
  numerator?: number | null;
  denominator?: number | null;
  /** Added: count or ratio, from the metric's definition, so no surface guesses it from the name. */
  kind?: MetricKind;
  /** Added: why the verdict is what it is, as a code (docs/verdicts.md lists them); `message` words it. */
  reason?: VerdictReason;
  /** Added: baseline candidates left out, and why. */
  excluded_days?: { ds: string; reason: "marked" | "failed" | "outlier" | "partial" }[];
  /** Added: the run of hours that fell, when the within-day scan found one. */
  hourly?: HourlyRun | null;
  /** Added: the accumulated evidence over recent days (CUSUM) and the failing stretch, for guardrails. */
  sequential?: SequentialFigures | null;
  /** Added: the reason the day is marked special, when it is. */
  marked?: string | null;
  /** Added: the decline is traffic moving between segments, not rates falling inside them. */
  mix_shift?: { dimension: string; value: string; base_share: number; today_share: number; rate_change: number } | null;
  /** Added: the smallest relative decline that would fail at today's volume, in one day and sustained over 7 days (null: none would). */
  power?: { one_day: number | null; seven_day: number | null } | null;
}

/**
 * Why a verdict is what it is. pass: within_range, harmless_direction, small_change, low_volume, zero_denominator;
 * warn: not_significant, small_change_significant, mix_shift, marked; fail: single_day, segment, hourly, sequential,
 * not_recovered; no_data / inconclusive: no_value, short_history, data_state.
 */
export type VerdictReason =
  | "within_range"
  | "harmless_direction"
  | "small_change"
  | "low_volume"
  | "zero_denominator"
  | "not_significant"
  | "small_change_significant"
  | "mix_shift"
  | "marked"
  | "single_day"
  | "segment"
  | "hourly"
  | "sequential"
  | "not_recovered"
  | "no_value"
  | "short_history"
  | "data_state";

export interface VersionVerdict {
  version: string;
  metric: string;
  observed: number | null;
  expected: number | null;
  change: number | null;
  z: number | null;
  verdict: VerdictKind;
  /** Added: traffic behind the version's ratio. */
  denominator?: number;
}

/** `guardrail evaluate --json` (docs/cli.md). */
export interface Evaluation {
  ds: string;
  dataset: string;
  status: VerdictKind;
  verdicts: Verdict[];
  versions: VersionVerdict[];
  /** Added: a sentence for the whole day (title of checks, alerts). */
  summary?: string;
  /** Added: the id in the evaluations history table. */
  evaluation_id?: number;
  evaluated_at?: string;
  /** Added: why the day could (not) be judged (docs/cli.md, evaluate); `partial_reason` when it was published partial (docs/ingest.md, "Partial days"). */
  data?: { state: string; partial_reason?: string; message: string };
}

/** A pull request that brought a commit in (suspects, regression checks, incident issues). */
export interface SuspectPr {
  number: number;
  title: string;
  url: string;
  author?: string | null;
}

/** The HTTP gate's JSON (docs/deploy-gate.md, docs/service.md): fields may be added, never renamed. */
export interface GateAnswer {
  state: "open" | "blocked" | "unknown";
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
  /** Added: the day gated on was published partial (docs/ingest.md, "Partial days"): why. Absent for a complete day. */
  partial_reason?: string;
}

/** GitHub's words the surfaces answer in: a check run's conclusion, a protection-rule answer, a commit status state. */
export type Conclusion = "success" | "failure" | "neutral";
export type ProtectionDecision = "approved" | "rejected";
export type DeployStatusState = "success" | "failure" | "pending";

/** A commit suspected of shipping a decline (src/suspects/). */
export interface Suspect {
  /** Full or short commit SHA; null while only a release tag is known (resolved before publishing). */
  sha: string | null;
  /** Deployment ref or release tag, when known. */
  ref: string | null;
  reason: "version" | "deployment";
  version: string | null;
  deploymentId: number | null;
  environment: string | null;
  deployedAt: string | null;
  /** One sentence: why this commit is suspected. */
  evidence: string;
  /** The suspicion window (ISO instants), for deployment suspects. */
  window: { from: string; to: string } | null;
  /** PRs that brought the commit in, when already looked up (publishRegressionChecks stores them). */
  prs: SuspectPr[];
}
