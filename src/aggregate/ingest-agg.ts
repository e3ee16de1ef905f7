/**
 * `ingest-agg`: a warehouse-built aggregate export goes through the same
 * write-audit-publish as raw events (docs/metrics.md: "the bot then treats it
 * exactly like one it built"): staged as a batch of kind 'agg', audited with
 * the aggregate checks plus the raw check that only needs aggregates
 * (host volume week over week), then metrics are stored and the batch is
 * published, or it is rejected and stays unpublished.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult, IngestResult } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { assertReadable } from "../ingest/source.js";
import { dsFromPaths } from "../ingest/ds.js";
import { hostVolumeWow } from "../quality/raw-checks.js";
import { runAggChecks } from "../quality/agg-checks.js";
import { computeMetrics, storeMetricValues } from "../metrics/compute.js";
import { createBatch, insertAggRows, insertChecks, publishBatch, rejectBatch, discardBatch } from "../store/partitions.js";
import { readAggExport } from "./agg-export.js";
import { CapError } from "../ingest/limits.js";
import { rejectForCap } from "../ingest/cap-audit.js";

export interface IngestAggOptions {
  ds?: string;
}

/** Events per hostname, from the most exact level the export has. */
export function hostTotals(rows: AggRow[]): Map<string, number> {
  for (const level of ["daily_hostname_total", "daily_hostname", "hostname"]) {
    const m = new Map<string, number>();
    for (const r of rows) if (r.aggregation_level === level && r.dim_hostname) m.set(r.dim_hostname, (m.get(r.dim_hostname) ?? 0) + r.m_total_events);
    if (m.size) return m;
  }
  return new Map();
}

export async function ingestAggFiles(db: DB, cfg: DatasetConfig, files: string[], opts: IngestAggOptions = {}): Promise<IngestResult> {
  if (files.length === 0) throw new UserError("ingest-agg: name at least one aggregate export FILE.");
  if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds ${opts.ds}: expected a date YYYY-MM-DD ${DS_BOUNDS}.`);
  for (const f of files) assertReadable(f);
  const pathDs = dsFromPaths(files);
  let exp: Awaited<ReturnType<typeof readAggExport>>;
  try {
    exp = await readAggExport(cfg, files);
  } catch (err) {
    // Past a cap: a failed audit, not unreadable input (src/ingest/cap-audit.ts).
    if (err instanceof CapError) return rejectForCap(db, cfg, opts.ds ?? pathDs, "agg", files, err);
    throw err;
  }
  if (exp.rowsRead === 0) throw new UserError(`${files.join(", ")}: contains no aggregate rows (the file is empty or only a header).`);
  if (opts.ds && exp.rowDs && exp.rowDs !== opts.ds)
    throw new UserError(`${files.join(", ")}: the rows say ds ${exp.rowDs} but --ds is ${opts.ds}.`);
  if (!opts.ds && exp.rowDs && pathDs && exp.rowDs !== pathDs)
    throw new UserError(`${files.join(", ")}: the rows say ds ${exp.rowDs} but the path says ds=${pathDs}; pass --ds to choose the partition.`);
  const ds = opts.ds ?? exp.rowDs ?? pathDs;
  if (!ds) throw new UserError(`${files.join(", ")}: no ds for this partition: pass --ds YYYY-MM-DD, give the rows a ds column, or put the file under a ds=YYYY-MM-DD folder.`);
  const rows = exp.rows.map((r) => ({ ...r, ds }));

  const batchId = createBatch(db, { dataset: cfg.name, ds, kind: "agg", source_file: files.join(", ") });
  try {
    insertAggRows(db, batchId, rows);
    const hosts = hostTotals(rows);
    const checks: CheckResult[] = [];
    if (hosts.size) checks.push(hostVolumeWow(db, cfg, ds, hosts));
    else
      checks.push({
        name: "host_volume_wow",
        table: "fct_website_events",
        severity: cfg.checks.host_volume_wow.severity,
        status: "skipped",
        observed: null,
        threshold: null,
        message: "The export has no hostname level, so rows per host cannot be compared week over week.",
      });
    checks.push(...runAggChecks(db, cfg, ds, rows));
    insertChecks(db, batchId, checks);
    const published = !checks.some((c) => c.status === "fail" && c.severity === "error");
    const result: IngestResult = {
      ds,
      dataset: cfg.name,
      published,
      rows_read: exp.rowsRead,
      rows_loaded: rows.length,
      rows_rejected: 0,
      duplicates: 0,
      checks,
      rejects_sample: [],
      batch_id: batchId,
      source_files: files,
    };
    if (published) {
      storeMetricValues(db, batchId, computeMetrics(cfg, ds, rows));
      publishBatch(db, batchId, result);
    } else rejectBatch(db, batchId, result);
    return result;
  } catch (err) {
    discardBatch(db, batchId);
    throw err;
  }
}
