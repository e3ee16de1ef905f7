/**
 * Canary and preview builds judged on their own PR (docs/canary.md): finds
 * the newest published day holding the head SHA's traffic and judges it
 * against the rest of the same hours. Reads the store, decides nothing about
 * GitHub: the PR check, the deploy gate and the dashboard use the result.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import { canaryDeploymentsOf, canaryJudgementsOfDay, daysWithVersions, latestDayHasVersions, storeCanaryJudgement, versionHourRows, type StoredCanaryJudgement } from "../store/canary.js";
import { thresholdsOf } from "../evaluate/evaluate.js";
import { judgeCanary, type CanaryOutcome } from "./judge.js";
import { prTraffic } from "./traffic.js";

export type { CanaryOutcome, CanaryMetricResult, CanaryStatus, CanaryMetricVerdict } from "./judge.js";

/** A PR head's canary, judged on one published day. */
export interface CanaryJudgement extends CanaryOutcome {
  dataset: string;
  ds: string;
  sha: string;
  /** The app_version values whose traffic was the PR's. */
  versions: string[];
  /** The build's distinct visitors that day (summed over its versions). */
  visitors: number;
  /** The dataset's time zone: `hours` are its wall-clock hours (docs/canary.md). Absent in judgements stored before it was recorded. */
  timezone?: string;
}

/** How many of the newest days holding a matching version are tried before giving up. */
const DAYS_TRIED = 7;

/**
 * The newest published day holding traffic of `sha` (directly, or through a
 * canary / preview deployment of `repo`), judged; null when no published day
 * holds any.
 */
export function judgeCanaryForSha(db: DB, cfg: DatasetConfig, repo: string, sha: string): CanaryJudgement | null {
  const deployments = canaryDeploymentsOf(db, repo, sha);
  const mapped = [...new Set(deployments.filter((d) => d.sha === sha.toLowerCase()).map((d) => d.version))];
  const found = daysWithVersions(db, cfg.name, sha, mapped);
  const days = [...new Set(found.map((f) => f.ds))].slice(0, DAYS_TRIED);
  for (const ds of days) {
    const rows = versionHourRows(db, cfg.name, ds);
    const traffic = prTraffic(ds, sha, rows, deployments, cfg.timezone);
    if (traffic.versions.length === 0) continue;
    const outcome = judgeCanary({ rows, sideOf: traffic.sideOf, metrics: cfg.metrics, thresholdsOf: (m) => thresholdsOf(cfg, m) });
    if (outcome.canary_events === 0) continue;
    const visitors = found.filter((f) => f.ds === ds && traffic.versions.includes(f.version)).reduce((s, f) => s + f.visitors, 0);
    return { ...outcome, dataset: cfg.name, ds, sha: sha.toLowerCase(), versions: traffic.versions, visitors, timezone: cfg.timezone };
  }
  return null;
}

/** What the check of a PR head shows of its canary. */
export interface CanaryForHead {
  judgement: CanaryJudgement | null;
  /** No judgement, but a canary could be expected (the repo declares canary / preview environments, or the site tags events with versions): say there is no traffic yet. */
  expected: boolean;
}

/** The head's canary for its check; `declared` = the repo lists canary or preview environments. */
export function canaryForHead(db: DB, cfg: DatasetConfig, repo: string, sha: string, declared: boolean): CanaryForHead {
  const judgement = judgeCanaryForSha(db, cfg, repo, sha);
  return { judgement, expected: judgement === null && (declared || latestDayHasVersions(db, cfg.name)) };
}

/** Remembers the judgement written on a commit's check, for the dashboard. */
export function recordCanaryJudgement(db: DB, repo: string, j: CanaryJudgement, now?: Date): void {
  storeCanaryJudgement(db, { repo, sha: j.sha, dataset: j.dataset, ds: j.ds, status: j.status, judgement: j }, now);
}

export interface JudgedCanary {
  repo: string;
  sha: string;
  judgedAt: string;
  judgement: CanaryJudgement;
}

/** The canaries judged on a day's traffic (every repo), worst first: the dashboard's data. */
export function canariesJudged(db: DB, dataset: string, ds: string): JudgedCanary[] {
  return canaryJudgementsOfDay(db, dataset, ds).map((r: StoredCanaryJudgement) => ({
    repo: r.repo,
    sha: r.sha,
    judgedAt: r.judgedAt,
    judgement: r.judgement as CanaryJudgement,
  }));
}
