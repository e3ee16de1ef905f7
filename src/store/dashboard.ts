/**
 * Every read the dashboard makes (docs/dashboard.md). Tables of the GitHub side
 * (deployments, suspects, check runs, incidents) are created by the migrations,
 * so an empty one simply gives no rows.
 */
import type { DB } from "./db.js";
import type { Evaluation } from "../shared/types.js";
import type { OverrideRow } from "./repos.js";

export interface MetricDayRow {
  ds: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}

export interface SegmentDayRow extends MetricDayRow {
  dimension: string;
  value_key: string;
}

/** The newest stored evaluation of each day in [from, to]. A row that does not parse only loses its band. */
export function storedEvaluations(db: DB, dataset: string, from: string, to: string): Map<string, Evaluation> {
  const out = new Map<string, Evaluation>();
  const rows = db
    .prepare(
      `SELECT ds, json FROM evaluations e WHERE dataset = ? AND ds BETWEEN ? AND ?
         AND id = (SELECT MAX(id) FROM evaluations x WHERE x.dataset = e.dataset AND x.ds = e.ds)`,
    )
    .all(dataset, from, to) as { ds: string; json: string }[];
  for (const r of rows) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.json);
    } catch (err) {
      if (err instanceof SyntaxError) continue;
      throw err;
    }
    out.set(r.ds, parsed as Evaluation);
  }
  return out;
}

/** A metric's day totals (dimension '') in [from, to]. */
export function metricTotals(db: DB, dataset: string, metric: string, from: string, to: string): MetricDayRow[] {
  return db
    .prepare(
      `SELECT ds, value, numerator, denominator FROM published_metrics
        WHERE dataset = ? AND metric = ? AND dimension = '' AND ds BETWEEN ? AND ? ORDER BY ds`,
    )
    .all(dataset, metric, from, to) as MetricDayRow[];
}

/** Every segment value of a metric on the given days (value_key '' is the unknown segment). */
export function metricSegments(db: DB, dataset: string, metric: string, days: string[], dimensions?: string[]): SegmentDayRow[] {
  if (days.length === 0) return [];
  const dimFilter = dimensions?.length ? ` AND dimension IN (${dimensions.map(() => "?").join(",")})` : ` AND dimension <> ''`;
  return db
    .prepare(
      `SELECT ds, dimension, value_key, value, numerator, denominator FROM published_metrics
        WHERE dataset = ? AND metric = ? AND ds IN (${days.map(() => "?").join(",")})${dimFilter} ORDER BY ds`,
    )
    .all(dataset, metric, ...days, ...(dimensions ?? [])) as SegmentDayRow[];
}

/** Days with a published export, oldest first. */
export function publishedDayList(db: DB, dataset: string, from: string, to: string): string[] {
  return (db.prepare(`SELECT ds FROM partitions WHERE dataset = ? AND status = 'published' AND ds BETWEEN ? AND ? ORDER BY ds`).all(dataset, from, to) as { ds: string }[]).map(
    (r) => r.ds,
  );
}

export interface HourlyActionRow {
  ds: string;
  action_type: string;
  event_hour: number;
  events: number;
  visitors: number;
  users: number;
}

/** The `overall` level (action × hour) of the published aggregate of each day. */
export function hourlyActions(db: DB, dataset: string, days: string[]): HourlyActionRow[] {
  if (days.length === 0) return [];
  return db
    .prepare(
      `SELECT ds, action_type, event_hour, SUM(m_total_events) AS events, SUM(m_unique_visitors) AS visitors, SUM(m_unique_users) AS users
         FROM published_agg WHERE dataset = ? AND aggregation_level = 'overall' AND event_hour IS NOT NULL AND action_type IS NOT NULL
          AND ds IN (${days.map(() => "?").join(",")})
        GROUP BY ds, action_type, event_hour`,
    )
    .all(dataset, ...days) as HourlyActionRow[];
}

export interface SuspectRecord {
  repo: string;
  sha: string;
  ref: string | null;
  reason: string;
  evidence: string;
  prs_json: string;
}

export function suspectsOf(db: DB, dataset: string, ds: string): SuspectRecord[] {
  return db.prepare(`SELECT repo, sha, ref, reason, evidence, prs_json FROM suspects WHERE dataset = ? AND ds = ? ORDER BY repo, sha`).all(dataset, ds) as SuspectRecord[];
}

export interface DeploymentRow {
  repo: string;
  sha: string;
  ref: string | null;
  environment: string;
  deployed_at: string;
  /** `deployments` (production, the suspects' source) or `canary_deployments` (canary and preview environments). */
  source: "production" | "canary";
}

/**
 * Recorded deployments of the repositories that watch the dataset (every
 * repository before any is recorded), in [fromIso, toIso): production ones and
 * those of canary / preview environments, oldest first.
 */
export function deploymentsOf(db: DB, dataset: string, fromIso: string, toIso: string): DeploymentRow[] {
  const watches = `(repo IN (SELECT repo FROM repos WHERE dataset = @dataset) OR NOT EXISTS (SELECT 1 FROM repos))`;
  return db
    .prepare(
      `SELECT repo, sha, ref, environment, deployed_at, 'production' AS source, deployment_id FROM deployments
        WHERE ${watches} AND deployed_at >= @from AND deployed_at < @to
       UNION ALL
       SELECT repo, sha, version AS ref, environment, deployed_at, 'canary' AS source, deployment_id FROM canary_deployments
        WHERE ${watches} AND deployed_at >= @from AND deployed_at < @to
       ORDER BY deployed_at, deployment_id`,
    )
    .all({ dataset, from: fromIso, to: toIso }) as DeploymentRow[];
}

/** The stored `.github/guardrail.yml` of each repository (JSON text), for naming its environments. */
export function repoConfigs(db: DB, repos: string[]): Map<string, string | null> {
  if (repos.length === 0) return new Map();
  const rows = db.prepare(`SELECT repo, config_json FROM repos WHERE repo IN (${repos.map(() => "?").join(",")})`).all(...repos) as { repo: string; config_json: string | null }[];
  return new Map(rows.map((r) => [r.repo, r.config_json]));
}

export interface CheckRunRow {
  repo: string;
  sha: string;
  name: string;
  check_run_id: number;
  conclusion: string | null;
}

/** Check runs the app created on these commits, of the given names. */
export function checkRunsOn(db: DB, repo: string, shas: string[], names: string[]): CheckRunRow[] {
  if (shas.length === 0 || names.length === 0) return [];
  return db
    .prepare(
      `SELECT repo, sha, name, check_run_id, conclusion FROM check_runs
        WHERE repo = ? AND sha IN (${shas.map(() => "?").join(",")}) AND name IN (${names.map(() => "?").join(",")}) ORDER BY name, sha`,
    )
    .all(repo, ...shas, ...names) as CheckRunRow[];
}

/** The newest head recorded for a pull request, or null. */
export function latestPrHead(db: DB, repo: string, pr: number): string | null {
  const row = db.prepare(`SELECT sha FROM pr_heads WHERE repo = ? AND pr_number = ? ORDER BY since DESC LIMIT 1`).get(repo, pr) as { sha: string } | undefined;
  return row?.sha ?? null;
}

export interface IncidentRow {
  repo: string;
  kind: string;
  state: string;
  issue_number: number;
  opened_ds: string;
  last_ds: string;
}

/** Incident issues of the dataset that were open on `ds` (opened on or before it, not closed before it). */
export function incidentsOn(db: DB, dataset: string, ds: string): IncidentRow[] {
  return db
    .prepare(
      `SELECT repo, kind, state, issue_number, opened_ds, last_ds FROM incidents
        WHERE dataset = ? AND repo <> '' AND issue_number IS NOT NULL AND opened_ds <= ?
          AND (state = 'open' OR last_ds >= ?) ORDER BY repo, kind`,
    )
    .all(dataset, ds, ds) as IncidentRow[];
}

export function overridesOf(db: DB, dataset: string): OverrideRow[] {
  // Before any repo is recorded (a local run), every override is shown.
  return db
    .prepare(
      `SELECT repo, pr_number, sha, actor, reason, created_at FROM overrides
       WHERE repo IN (SELECT repo FROM repos WHERE dataset = ?) OR NOT EXISTS (SELECT 1 FROM repos)
       ORDER BY created_at DESC LIMIT 20`,
    )
    .all(dataset) as OverrideRow[];
}
