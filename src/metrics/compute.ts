// STUB — owner: aggregate/metrics helper.
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, Report } from "../shared/types.js";

/** Every configured metric and breakdown from the aggregate rows of one day. */
export function computeMetrics(_cfg: DatasetConfig, _ds: string, _rows: AggRow[]): Report {
  throw new Error("not implemented");
}

/** Writes the report into metric_values under `batchId`. */
export function storeMetricValues(_db: DB, _batchId: number, _report: Report): void {
  throw new Error("not implemented");
}

/** The stored report of a published day (default: the latest published day); null if none. */
export function loadReport(_db: DB, _dataset: string, _ds?: string): Report | null {
  throw new Error("not implemented");
}
