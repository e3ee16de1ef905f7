/**
 * What the evaluator needs from the partition registry: which days are
 * published (and by which batch), and why a day is not. Queried directly so
 * evaluate stays independent of the ingest code; only `partitions` and
 * `quality_results` are read.
 */
import type { DB } from "../store/db.js";

export type DayState =
  /** `partial`: why the published batch is partial (docs/ingest.md, "Completeness"), null when complete. */
  | { state: "published"; batchId: number; partial: string | null }
  /** The latest attempt failed its audit and nothing is published. */
  | { state: "rejected"; batchId: number; failedChecks: string[] }
  /** An ingest is under way and nothing is published yet. */
  | { state: "staged"; batchId: number }
  | { state: "missing" };

/** The state of each requested day, in one query. */
export function dayStates(db: DB, dataset: string, days: string[]): Map<string, DayState> {
  const out = new Map<string, DayState>();
  for (const ds of days) out.set(ds, { state: "missing" });
  if (days.length === 0) return out;
  const rows = db
    .prepare(
      `SELECT id, ds, status, partial_reason FROM partitions
        WHERE dataset = ? AND ds IN (${days.map(() => "?").join(",")}) AND status IN ('published', 'rejected', 'staged')
        ORDER BY id`,
    )
    .all(dataset, ...days) as { id: number; ds: string; status: string; partial_reason: string | null }[];
  const published = new Map<string, number>();
  const partial = new Map<string, string | null>();
  const latest = new Map<string, { id: number; status: string }>();
  for (const r of rows) {
    if (r.status === "published") {
      published.set(r.ds, r.id);
      partial.set(r.ds, r.partial_reason);
    }
    // Ordered by id: the last finished attempt wins; a staged one only counts when nothing finished
    // (it may be an ingest under way, or one abandoned by a crash).
    if (r.status !== "staged" || !latest.has(r.ds) || latest.get(r.ds)!.status === "staged") latest.set(r.ds, r);
  }
  for (const ds of days) {
    const pub = published.get(ds);
    const last = latest.get(ds);
    if (pub !== undefined) out.set(ds, { state: "published", batchId: pub, partial: partial.get(ds) ?? null });
    else if (last?.status === "rejected") out.set(ds, { state: "rejected", batchId: last.id, failedChecks: failedChecks(db, last.id) });
    else if (last?.status === "staged") out.set(ds, { state: "staged", batchId: last.id });
  }
  return out;
}

function failedChecks(db: DB, batchId: number): string[] {
  const rows = db
    .prepare(`SELECT DISTINCT name FROM quality_results WHERE batch_id = ? AND status = 'fail' AND severity = 'error' ORDER BY name`)
    .all(batchId) as { name: string }[];
  return rows.map((r) => r.name);
}

/**
 * The newest day that anyone tried to load (published or rejected). This is
 * the default day to judge: if the newest export failed its audit, the
 * honest answer is "inconclusive", not yesterday's pass.
 */
export function latestAttemptedDay(db: DB, dataset: string, atMost = "9999-12-31"): string | null {
  const row = db
    .prepare(`SELECT MAX(ds) AS ds FROM partitions WHERE dataset = ? AND status IN ('published', 'rejected') AND ds <= ?`)
    .get(dataset, atMost) as { ds: string | null };
  return row.ds;
}

/** One stored metric value (docs/metrics.md), as written by the metrics step. */
export interface MetricRow {
  metric: string;
  dimension: string;
  value_key: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}

/** Every metric value of the given published batches, grouped by batch. */
export function metricRowsByBatch(db: DB, batchIds: number[]): Map<number, MetricRow[]> {
  const out = new Map<number, MetricRow[]>();
  const stmt = db.prepare(`SELECT metric, dimension, value_key, value, numerator, denominator FROM metric_values WHERE batch_id = ?`);
  for (const id of batchIds) out.set(id, stmt.all(id) as MetricRow[]);
  return out;
}

/** Only the day totals (dimension '') of the given batches: what the spread window needs, a few rows per day. */
export function metricTotalsByBatch(db: DB, batchIds: number[]): Map<number, MetricRow[]> {
  const out = new Map<number, MetricRow[]>();
  const stmt = db.prepare(
    `SELECT metric, dimension, value_key, value, numerator, denominator FROM metric_values WHERE batch_id = ? AND dimension = '' AND value_key = ''`,
  );
  for (const id of batchIds) out.set(id, stmt.all(id) as MetricRow[]);
  return out;
}
