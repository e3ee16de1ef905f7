/**
 * The server-side configuration (`guardrail.config.yml`, docs/configuration.md).
 * Everything has a default, so an absent file is a valid configuration.
 * Validation errors are turned into one sentence by `load.ts`.
 */
import { z } from "zod";
import { isTimeZone } from "../shared/dates.js";

export const DIMENSIONS = ["dim_country", "dim_device_brand", "dim_channel", "dim_hostname", "dim_product_type", "dim_app_version"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** The four breakdowns every metric gets by default (docs/metrics.md). */
export const DEFAULT_BREAKDOWNS: Dimension[] = ["dim_country", "dim_device_brand", "dim_channel", "dim_hostname"];

const severity = z.enum(["error", "warn"]);
const fraction = z.number().min(0).max(1);
/** An IANA time-zone name: the zone whose calendar day a partition's ds is (docs/ingest.md, "Time zones"). */
const timeZone = z.string().refine(isTimeZone, "an IANA time-zone name such as UTC, America/Los_Angeles or Europe/Berlin");
/** How a timestamp without `Z` or an offset is read: the dataset's local time (default) or UTC. */
const naiveTimestamps = z.enum(["local", "utc"]);
const hostname = z.string().regex(/^[a-z0-9.-]+$/, "a lower-case host name such as linkedin.com");

/** A row-level check: rows that fail are rejected (kept with line + reason); if more than
 * `tolerance` of the rows fail, the check fails, and an `error` check blocks publishing. */
const rowCheck = (sev: "error" | "warn") =>
  z.object({ severity: severity.default(sev), tolerance: fraction.default(0), enabled: z.boolean().default(true) }).strict();

export const checksSchema = z
  .object({
    not_null: rowCheck("error")
      .extend({
        columns: z
          .array(z.string())
          .default(["dim_hostname", "action_type", "event_timestamp", "dim_country", "logged_out_user_id"]),
      })
      .prefault({}),
    /** Rows that cannot be read as an event at all (malformed JSON, wrong type, missing CSV field). */
    row_format: rowCheck("error").prefault({}),
    duplicates: rowCheck("error").prefault({}),
    hostname_format: rowCheck("error").prefault({}),
    action_enum: rowCheck("error").prefault({}),
    timestamp_in_day: rowCheck("error").prefault({}),
    ds_consistency: rowCheck("error").prefault({}),
    host_volume_wow: z
      .object({
        severity: severity.default("warn"),
        enabled: z.boolean().default(true),
        /** A host fails when it fell (or rose) by more than this fraction vs the same weekday last week. */
        max_change: z.number().positive().default(0.5),
        /** Hosts with fewer rows than this last week are not judged (too small to mean anything). */
        min_rows: z.number().int().nonnegative().default(1000),
      })
      .strict()
      .prefault({}),
    rollup_consistency: z.object({ severity: severity.default("error"), enabled: z.boolean().default(true) }).strict().prefault({}),
    /** Completeness (docs/ingest.md, "Completeness"): the hourly shape vs the same weekday's history. */
    hour_distribution: z
      .object({
        severity: severity.default("error"),
        enabled: z.boolean().default(true),
        /** A fixed Jensen–Shannon bar (base 2, 0…1). Unset (default): the bar is learnt from the history's own ordinary days. */
        max_divergence: z.number().min(0).max(1).optional(),
        /** The learnt bar: this many times the largest divergence of a history day from the others. */
        divergence_factor: z.number().min(1).default(3),
        /** Below this many events on the day (or in the history) the check is skipped: too noisy to judge. */
        min_events: z.number().int().nonnegative().default(2000),
        /** Add-k smoothing per hour, so an empty hour doesn't make the divergence explode. */
        smoothing: z.number().nonnegative().default(1),
        weeks: z.number().int().min(1).max(52).default(8),
      })
      .strict()
      .prefault({}),
    /** Completeness of the day's volume and hours vs the same weekday of the published history (docs/ingest.md). */
    completeness: z
      .object({
        severity: severity.default("error"),
        enabled: z.boolean().default(true),
        /** Same weekdays of history to learn from. */
        weeks: z.number().int().min(1).max(52).default(8),
        /** Fewer complete history days than this: not judged. */
        min_days: z.number().int().min(2).max(52).default(3),
        /** The volume bound: this many robust spreads (log scale) below the history's median. */
        sensitivity: z.number().positive().default(4),
        /** An empty hour fails when history says it normally holds at least this share of the day. */
        min_hour_share: fraction.default(0.01),
      })
      .strict()
      .prefault({}),
    min_events: z
      .object({
        severity: severity.default("error"),
        enabled: z.boolean().default(true),
        /** Minimum m_total_events summed over each level; "*" applies to every level not named. */
        per_level: z.record(z.string(), z.number().int().nonnegative()).default({ "*": 1 }),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const channelRuleSchema = z
  .object({
    channel: z.string().regex(/^[a-z0-9_]+$/, "a lower-case channel name such as linkedin"),
    utm_source: z.array(z.string()).default([]),
    utm_medium: z.array(z.string()).default([]),
    /** Matches the referrer host itself or any subdomain of it. */
    referrer_hosts: z.array(hostname).default([]),
  })
  .strict();

export const channelsSchema = z
  .object({
    rules: z.array(channelRuleSchema).default([
      { channel: "email", utm_source: ["email", "newsletter"], utm_medium: ["email"], referrer_hosts: ["mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com"] },
      { channel: "linkedin", utm_source: ["linkedin", "lnkd"], utm_medium: [], referrer_hosts: ["linkedin.com", "lnkd.in"] },
      { channel: "x", utm_source: ["x", "twitter"], utm_medium: [], referrer_hosts: ["x.com", "twitter.com", "t.co"] },
      { channel: "substack", utm_source: ["substack"], utm_medium: [], referrer_hosts: ["substack.com"] },
      { channel: "search", utm_source: ["google", "bing", "duckduckgo"], utm_medium: [], referrer_hosts: ["google.com", "bing.com", "duckduckgo.com"] },
    ]),
    /** No utm_source and no outside referrer. */
    direct: z.string().default("direct"),
    /** A source or referrer that no rule knows. */
    other: z.string().default("other"),
    /** A visitor's visit ends after this many minutes without an event (docs/metrics.md, "Visits"). */
    visit_timeout_minutes: z.number().positive().max(1440).default(30),
    /** Hosts of the site besides the day's dim_hostname values; a referrer on one of them (or a subdomain) is navigation, not a source. */
    own_hosts: z.array(hostname).default([]),
  })
  .strict();

const thresholdFields = {
  sensitivity: z.number().positive().optional(),
  warn_sensitivity: z.number().positive().optional(),
  min_relative_change: fraction.optional(),
  min_denominator: z.number().nonnegative().optional(),
};

export const metricSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("count"),
      name: z.string().regex(/^[a-z][a-z0-9_]*$/, "a snake_case metric name"),
      description: z.string().optional(),
      /** `all`, or the action types counted. A distinct measure needs `all` or exactly one action. */
      actions: z.union([z.literal("all"), z.array(z.string()).min(1)]).default("all"),
      /** `visits`: visits started (docs/metrics.md, "Channels and visits"); they add up like events. */
      measure: z.enum(["events", "unique_visitors", "unique_users", "visits"]).default("events"),
      breakdowns: z.array(z.enum(DIMENSIONS)).default(DEFAULT_BREAKDOWNS),
      guardrail: z.boolean().default(false),
      enforce: z.boolean().default(true),
      /** Which direction hurts: a `decrease` (default) or an `increase`. */
      bad_direction: z.enum(["decrease", "increase"]).default("decrease"),
      ...thresholdFields,
    })
    .strict(),
  z
    .object({
      kind: z.literal("ratio"),
      name: z.string().regex(/^[a-z][a-z0-9_]*$/, "a snake_case metric name"),
      description: z.string().optional(),
      numerator: z.string(),
      denominator: z.string(),
      breakdowns: z.array(z.enum(DIMENSIONS)).default(DEFAULT_BREAKDOWNS),
      guardrail: z.boolean().default(false),
      enforce: z.boolean().default(true),
      bad_direction: z.enum(["decrease", "increase"]).default("decrease"),
      ...thresholdFields,
    })
    .strict(),
]);

export const evaluationSchema = z
  .object({
    /** Baseline = the same weekday of the previous `weeks` published weeks. */
    weeks: z.number().int().min(1).max(52).default(4),
    min_weeks: z.number().int().min(1).max(52).default(3),
    /** Fail needs z ≤ −sensitivity; warn needs z ≤ −warn_sensitivity. */
    sensitivity: z.number().positive().default(3),
    warn_sensitivity: z.number().positive().default(2),
    min_relative_change: fraction.default(0.1),
    /** A fail needs the day significantly below a harmless decline of this fraction of min_relative_change, not
     * merely below its expectation, so that such a decline never fails (docs/verdicts.md). 0: the plain rule. */
    fail_margin: fraction.default(0.5),
    /** An optional extra floor: ratios below this denominator (and counts below this expected value) never fail.
     * 0 (the default): exact tail probabilities decide instead, so a day is "not judged" only when even a total
     * collapse could not be significant (docs/verdicts.md). */
    min_denominator: z.number().nonnegative().default(0),
    /** The latest published day must be younger than this, or verdicts are no_data (stale). */
    freshness_hours: z.number().positive().default(48),
    /** A breakdown segment carrying at least this share of the baseline denominator is also judged on its own
     * (a decline confined to one big device or channel is diluted in the total). 1 turns it off. */
    segment_min_share: z.number().gt(0).max(1).default(0.25),
    /** Version mode: a version needs at least this denominator on the day to be judged. */
    version_min_denominator: z.number().nonnegative().default(500),
    /** Weeks of history (every published day vs the same weekday a week before) used to learn how much each metric
     * ordinarily moves; a floor under the spread of the `weeks` baseline, whose 4 points are too few to trust alone.
     * 0 turns it off. */
    spread_weeks: z.number().int().min(0).max(52).default(8),
    /** Small-sample corrections: MAD's finite-sample factor and the baseline's own estimation error. */
    small_sample_correction: z.boolean().default(true),
    /** Within the day: scan each guardrail's hourly series for a run of hours that fell by at least this fraction
     * against the rest of the day (significance corrected for the ~300 runs scanned). 1 requires a total outage. */
    hourly_min_drop: z.number().gt(0).max(1).default(0.5),
    hourly_scan: z.boolean().default(true),
    /** Across days: days before the judged one that the CUSUM and the hysteresis look back over. 0 turns both off. */
    sequential_days: z.number().int().min(0).max(60).default(14),
    /** CUSUM reference value k and decision threshold h, in z units (defaults: ~930 days between false alarms). */
    cusum_k: z.number().nonnegative().default(0.5),
    cusum_h: z.number().positive().default(5),
    /** A CUSUM alarm needs the days it accumulated over to average this fraction of min_relative_change. */
    sequential_min_change: fraction.default(0.75),
    /** A failing guardrail recovers on a day within this many z of its expectation (and less than half a material change off). */
    recover_z: z.number().positive().default(1),
  })
  .strict();

/** A known special day (holiday, campaign, outage outside the code): never a baseline day, never fails by itself. */
export const calendarEntrySchema = z
  .object({
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD"),
    reason: z.string().min(1, "a reason, e.g. \"Black Friday\""),
  })
  .strict();

export const datasetSchema = z
  .object({
    timezone: timeZone.optional(),
    naive_timestamps: naiveTimestamps.optional(),
    /** Added to the top-level calendar for this dataset. */
    calendar: z.array(calendarEntrySchema).optional(),
    action_types: z.array(z.string()).min(1).optional(),
    action_aliases: z.record(z.string(), z.string()).optional(),
    event_key: z.array(z.string()).min(1).optional(),
    /** Raw partitions older than this many days are deleted; aggregates and metrics stay. */
    retention_days: z.number().int().positive().nullable().optional(),
    /** Slack-compatible incoming webhook for this dataset (a secret). */
    notify_url: z.string().url().optional(),
    evaluation: evaluationSchema.partial().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** The zone whose calendar day `ds` is (IANA name); datasets may override it. */
    timezone: timeZone.default("UTC"),
    naive_timestamps: naiveTimestamps.default("local"),
    action_types: z.array(z.string()).min(1).default(["page_visit", "login", "signup", "purchase", "watch_video"]),
    /** Raw spellings → canonical action; matched case-insensitively after trimming. */
    action_aliases: z.record(z.string(), z.string()).default({
      "log-in": "login",
      "log in": "login",
      "page visit": "page_visit",
      "page-visit": "page_visit",
      pageview: "page_visit",
      "sign-up": "signup",
      "sign up": "signup",
      "watch video": "watch_video",
      "watch-video": "watch_video",
    }),
    event_key: z
      .array(z.string())
      .min(1)
      .default(["logged_out_user_id", "action_type", "event_timestamp", "dim_hostname", "other_properties.event_id"]),
    retention_days: z.number().int().positive().nullable().default(null),
    notify_url: z.string().url().optional(),
    checks: checksSchema.prefault({}),
    channels: channelsSchema.prefault({}),
    metrics: z.array(metricSchema).optional(),
    evaluation: evaluationSchema.prefault({}),
    calendar: z.array(calendarEntrySchema).default([]),
    datasets: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "a dataset name of letters, digits, - and _"), datasetSchema).default({}),
  })
  .strict();

export type GuardrailConfig = z.infer<typeof configSchema>;
export type ChecksConfig = z.infer<typeof checksSchema>;
export type ChannelsConfig = z.infer<typeof channelsSchema>;
export type ChannelRule = z.infer<typeof channelRuleSchema>;
export type MetricDef = z.infer<typeof metricSchema>;
export type CountMetricDef = Extract<MetricDef, { kind: "count" }>;
export type RatioMetricDef = Extract<MetricDef, { kind: "ratio" }>;
export type EvaluationConfig = z.infer<typeof evaluationSchema>;
export type CalendarEntry = z.infer<typeof calendarEntrySchema>;
