import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult, IngestResult } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { assertReadable } from "../events/source.js";
import { dsFromPaths } from "../events/ds.js";
import { hostVolumeWow } from "../quality/raw-checks.js";
import { createBatch, discardBatch } from "../store/partitions.js";
import { readAggExport } from "../aggregate/agg-export.js";
import { openDayReason, publishDay, type PartialOptions } from "../publish/publish.js";

export interface IngestAggOptions extends PartialOptions {
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
  // Known before reading: refuse a day that has not ended without reading a row, as `ingest` does.
  const knownDs = opts.ds ?? pathDs;
  if (knownDs !== null) openDayReason(cfg, knownDs, opts);
  const exp = await readAggExport(cfg, files);
  if (exp.rowsRead === 0) throw new UserError(`${files.join(", ")}: contains no aggregate rows (the file is empty or only a header).`);
  if (opts.ds && exp.rowDs && exp.rowDs !== opts.ds)
    throw new UserError(`${files.join(", ")}: the rows say ds ${exp.rowDs} but --ds is ${opts.ds}.`);
  if (!opts.ds && exp.rowDs && pathDs && exp.rowDs !== pathDs)
    throw new UserError(`${files.join(", ")}: the rows say ds ${exp.rowDs} but the path says ds=${pathDs}; pass --ds to choose the partition.`);
  const ds = opts.ds ?? exp.rowDs ?? pathDs;
  if (!ds) throw new UserError(`${files.join(", ")}: no ds for this partition: pass --ds YYYY-MM-DD, give the rows a ds column, or put the file under a ds=YYYY-MM-DD folder.`);
  const rows = exp.rows.map((r) => ({ ...r, ds }));
  const openDay = openDayReason(cfg, ds, opts);

  const batchId = createBatch(db, { dataset: cfg.name, ds, kind: "agg", source_file: files.join(", ") });
  try {
    return publishDay(
      db,
      cfg,
      {
        batchId,
        ds,
        rows,
        audit: [hostCheck(db, cfg, ds, rows)],
        counts: { rows_read: exp.rowsRead, rows_loaded: rows.length, rows_rejected: 0, duplicates: 0 },
        rejectsSample: [],
        sourceFiles: files,
        openDay,
      },
      opts,
    ).result;
  } catch (err) {
    discardBatch(db, batchId);
    throw err;
  }
}

/** Rows per host week over week, when the export has a hostname level. */
function hostCheck(db: DB, cfg: DatasetConfig, ds: string, rows: AggRow[]): CheckResult {
  const hosts = hostTotals(rows);
  if (hosts.size) return hostVolumeWow(db, cfg, ds, hosts);
  return {
    name: "host_volume_wow",
    table: "fct_website_events",
    severity: cfg.checks.host_volume_wow.severity,
    status: "skipped",
    observed: null,
    threshold: null,
    message: "The export has no hostname level, so rows per host cannot be compared week over week.",
  };
}
