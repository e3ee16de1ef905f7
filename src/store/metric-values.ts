/**
 * Stored metric values (`metric_values`, docs/metrics.md): one row per metric,
 * dimension and segment of a batch. src/metrics/compute.ts computes them,
 * src/evaluate/ reads them back for baselines.
 */
import type { DB } from "./db.js";

/** One stored metric value, as written by the metrics step. */
export interface MetricRow {
  metric: string;
  dimension: string;
  value_key: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}

/** A value to store: dimension and value_key '' are the day's total. */
export interface NewMetricValue extends MetricRow {
  dataset: string;
  ds: string;
}

/** Replaces what batch `batchId` had in `metric_values` with `values`, in one transaction. */
export function replaceMetricValues(db: DB, batchId: number, values: Iterable<NewMetricValue>): void {
  const insert = db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    db.prepare("DELETE FROM metric_values WHERE batch_id = ?").run(batchId);
    for (const v of values) insert.run(batchId, v.dataset, v.ds, v.metric, v.dimension, v.value_key, v.value, v.numerator, v.denominator);
  })();
}

/** Every value of one batch, in the order it was stored. */
export function metricRowsOfBatch(db: DB, batchId: number): MetricRow[] {
  return db
    .prepare("SELECT metric, dimension, value_key, value, numerator, denominator FROM metric_values WHERE batch_id = ? ORDER BY rowid")
    .all(batchId) as MetricRow[];
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
