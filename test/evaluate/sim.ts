/** Test helper: simulated aggregate days (src/fixtures/simulate.ts) published through the real store and metric code. */
import type { DB } from "../../src/store/db.js";
import type { DatasetConfig } from "../../src/config/load.js";
import type { AggRow } from "../../src/shared/types.js";
import { createBatch, insertAggRows, publishBatch } from "../../src/store/partitions.js";
import { computeMetrics, storeMetricValues } from "../../src/metrics/compute.js";

export function publishSimulated(db: DB, cfg: DatasetConfig, days: { ds: string; rows: AggRow[] }[]): void {
  for (const d of days) {
    const batch = createBatch(db, { dataset: cfg.name, ds: d.ds, kind: "agg" });
    insertAggRows(db, batch, d.rows);
    storeMetricValues(db, batch, computeMetrics(cfg, d.ds, d.rows));
    publishBatch(db, batch);
  }
}
