/**
 * A file past a cap of ./limits.ts (decompressed size, line length) fails its
 * audit, like any other export the checks refuse (docs/ingest.md#limits): the
 * attempt is recorded as a rejected batch whose one check names the cap, the
 * CLI exits 3 and the service's job ends `rejected`, with nothing published.
 * Rows read before the cap are not kept: the file is not one export to inspect.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { CheckResult, IngestResult } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { createBatch, insertChecks, rejectBatch } from "../store/partitions.js";
import type { CapCheck } from "../events/limits.js";

export interface CapFailure {
  check: CapCheck;
  limit: number;
  /** The one sentence of ./limits.ts: file, line, cap and its setting. */
  message: string;
}

/** The failed check: its threshold is the cap in bytes. */
export function capCheck(cap: CapFailure, kind: "raw" | "agg"): CheckResult {
  const table = kind === "raw" ? "fct_website_events" : "agg_website_events";
  return { name: cap.check, table, severity: "error", status: "fail", observed: null, threshold: cap.limit, message: cap.message };
}

/**
 * Records the rejected attempt and returns its ingest result. Without a day
 * to file it under (no --ds, no ds= folder, no row read) it stays a usage
 * error with the same sentence.
 */
export function rejectForCap(
  db: DB,
  cfg: DatasetConfig,
  ds: string | null,
  kind: "raw" | "agg",
  files: string[],
  cap: CapFailure,
  rowsRead = 0,
): IngestResult {
  if (ds === null) throw new UserError(cap.message);
  const checks = [capCheck(cap, kind)];
  const batchId = createBatch(db, { dataset: cfg.name, ds, kind, source_file: files.join(", ") });
  insertChecks(db, batchId, checks);
  const result: IngestResult = {
    ds,
    dataset: cfg.name,
    published: false,
    partial: false,
    partial_reason: null,
    rows_read: rowsRead,
    rows_loaded: 0,
    rows_rejected: 0,
    duplicates: 0,
    checks,
    rejects_sample: [],
    batch_id: batchId,
    source_files: files,
  };
  rejectBatch(db, batchId, result);
  return result;
}
