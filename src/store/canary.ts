/**
 * The store side of canary judgements (docs/canary.md): a build's traffic hour
 * by hour (the `app_version` level of the aggregate), the days that hold a
 * commit's traffic, deployments of canary / preview environments, and the
 * judgements written on checks. Every canary SQL statement is here.
 */
import type { DB } from "./db.js";

/** Events of one (app_version, hour, action) slice of a published day; version null = untagged traffic. */
export interface VersionHourRow {
  version: string | null;
  hour: number;
  action: string;
  events: number;
}

/** The `app_version` level of a published day, summed over any other column (there are none by default). */
export function versionHourRows(db: DB, dataset: string, ds: string): VersionHourRow[] {
  return db
    .prepare(
      `SELECT dim_app_version AS version, event_hour AS hour, action_type AS action, SUM(m_total_events) AS events
       FROM published_agg WHERE dataset = ? AND ds = ? AND aggregation_level = 'app_version'
         AND event_hour IS NOT NULL AND action_type IS NOT NULL
       GROUP BY dim_app_version, event_hour, action_type`,
    )
    .all(dataset, ds) as VersionHourRow[];
}

/** Whether the newest published day of the dataset holds any event tagged with an app_version. */
export function latestDayHasVersions(db: DB, dataset: string): boolean {
  const row = db
    .prepare(
      `SELECT 1 AS yes FROM published_agg
       WHERE dataset = @dataset AND aggregation_level = 'daily_app_version_total' AND dim_app_version IS NOT NULL
         AND ds = (SELECT max(ds) FROM partitions WHERE dataset = @dataset AND status = 'published')
       LIMIT 1`,
    )
    .get({ dataset }) as { yes: number } | undefined;
  return row !== undefined;
}

/** A published day on which a version served traffic, with its distinct visitors that day. */
export interface VersionDay {
  ds: string;
  version: string;
  visitors: number;
  events: number;
}

/**
 * Published days holding traffic of `versions`, or of any version that is a
 * prefix (≥ 7 characters) of `sha`, newest first. Read from the daily
 * `daily_app_version_total` level (one row per version and day).
 */
export function daysWithVersions(db: DB, dataset: string, sha: string, versions: string[], limit = 60): VersionDay[] {
  const list = JSON.stringify(versions);
  return db
    .prepare(
      `SELECT ds, dim_app_version AS version, SUM(m_unique_visitors) AS visitors, SUM(m_total_events) AS events
       FROM published_agg
       WHERE dataset = @dataset AND aggregation_level = 'daily_app_version_total' AND dim_app_version IS NOT NULL
         AND ((length(dim_app_version) >= 7 AND length(dim_app_version) <= length(@sha)
               AND lower(dim_app_version) = substr(lower(@sha), 1, length(dim_app_version)))
              OR dim_app_version IN (SELECT value FROM json_each(@list)))
       GROUP BY ds, dim_app_version
       ORDER BY ds DESC, dim_app_version
       LIMIT @limit`,
    )
    .all({ dataset, sha, list, limit }) as VersionDay[];
}

export interface CanaryDeployment {
  repo: string;
  deploymentId: number;
  sha: string;
  /** The app_version its events carry. */
  version: string;
  environment: string;
  deployedAt: string;
}

interface CanaryDeploymentRow {
  repo: string;
  deployment_id: number;
  sha: string;
  version: string;
  environment: string;
  deployed_at: string;
}

const toDeployment = (r: CanaryDeploymentRow): CanaryDeployment => ({
  repo: r.repo,
  deploymentId: r.deployment_id,
  sha: r.sha,
  version: r.version,
  environment: r.environment,
  deployedAt: r.deployed_at,
});

export function recordCanaryDeployment(db: DB, d: CanaryDeployment): void {
  db.prepare(
    `INSERT INTO canary_deployments (repo, deployment_id, sha, version, environment, deployed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo, deployment_id) DO UPDATE SET sha = excluded.sha, version = excluded.version,
       environment = excluded.environment, deployed_at = excluded.deployed_at`,
  ).run(d.repo, d.deploymentId, d.sha.toLowerCase(), d.version, d.environment, d.deployedAt);
}

/**
 * The canary / preview deployments of `sha`, and every deployment of the
 * versions they use (another commit may have been deployed under the same
 * version earlier or later that day), oldest first.
 */
export function canaryDeploymentsOf(db: DB, repo: string, sha: string): CanaryDeployment[] {
  const rows = db
    .prepare(
      `SELECT * FROM canary_deployments WHERE repo = @repo AND version IN (SELECT version FROM canary_deployments WHERE repo = @repo AND sha = lower(@sha))
       ORDER BY deployed_at, deployment_id`,
    )
    .all({ repo, sha }) as CanaryDeploymentRow[];
  return rows.map(toDeployment);
}

/** A judgement as written on a commit's check (the JSON is the canary module's `CanaryJudgement`). */
export interface StoredCanaryJudgement {
  repo: string;
  sha: string;
  dataset: string;
  ds: string;
  status: string;
  judgement: unknown;
  judgedAt: string;
}

export function storeCanaryJudgement(db: DB, j: Omit<StoredCanaryJudgement, "judgedAt">, now = new Date()): void {
  db.prepare(
    `INSERT INTO canary_judgements (repo, sha, dataset, ds, status, judgement, judged_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo, sha, dataset, ds) DO UPDATE SET status = excluded.status, judgement = excluded.judgement, judged_at = excluded.judged_at`,
  ).run(j.repo, j.sha.toLowerCase(), j.dataset, j.ds, j.status, JSON.stringify(j.judgement), now.toISOString());
}

interface JudgementRow {
  repo: string;
  sha: string;
  dataset: string;
  ds: string;
  status: string;
  judgement: string;
  judged_at: string;
}

const toJudgement = (r: JudgementRow): StoredCanaryJudgement => ({
  repo: r.repo,
  sha: r.sha,
  dataset: r.dataset,
  ds: r.ds,
  status: r.status,
  judgement: JSON.parse(r.judgement) as unknown,
  judgedAt: r.judged_at,
});

/** The canaries judged on a day's traffic, every repo, worst first (fail, warn, low traffic, no decline). */
export function canaryJudgementsOfDay(db: DB, dataset: string, ds: string): StoredCanaryJudgement[] {
  const rows = db
    .prepare(
      `SELECT * FROM canary_judgements WHERE dataset = ? AND ds = ?
       ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 WHEN 'low_traffic' THEN 2 ELSE 3 END, repo, sha`,
    )
    .all(dataset, ds) as JudgementRow[];
  return rows.map(toJudgement);
}

/** The newest judgement stored for a commit (any day), or null. */
export function latestCanaryJudgement(db: DB, repo: string, sha: string, dataset: string): StoredCanaryJudgement | null {
  const row = db
    .prepare(`SELECT * FROM canary_judgements WHERE repo = ? AND sha = lower(?) AND dataset = ? ORDER BY ds DESC LIMIT 1`)
    .get(repo, sha, dataset) as JudgementRow | undefined;
  return row ? toJudgement(row) : null;
}
