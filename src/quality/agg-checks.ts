// STUB — owner: aggregate/metrics helper.
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult } from "../shared/types.js";

/** DESIGN §5 aggregate checks on the staged aggregate of `ds` (history read from published batches). */
export function runAggChecks(_db: DB, _cfg: DatasetConfig, _ds: string, _rows: AggRow[]): CheckResult[] {
  throw new Error("not implemented");
}
