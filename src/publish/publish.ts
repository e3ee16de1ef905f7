/**
 * The one publish tail of a staged day, raw (`guardrail ingest`) or built in a
 * warehouse (`guardrail ingest-agg`): the audit's checks and the aggregate
 * checks, the decision (published, published partial, or rejected), the metric
 * values, the atomic publish and retention (docs/architecture.md, "Write,
 * audit, publish"; docs/ingest.md, "Completeness").
 *
 * Every row of the attempt carries its batch id and readers only see the
 * published batch, so nothing published changes until `publishBatch` swaps
 * the day's batches in one transaction.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult, IngestResult } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { dayClock } from "../shared/dates.js";
import { COMPLETENESS_CHECKS } from "../quality/completeness.js";
import { runAggChecks } from "../quality/agg-checks.js";
import { computeMetrics, storeMetricValues } from "../metrics/compute.js";
import { applyRetention, insertAggRows, insertChecks, publishBatch, rejectBatch, setBatchChecksum } from "../store/partitions.js";

/** How a day may be published: `allowPartial` is `--allow-partial` / `allow_partial=true`; `now` is the clock (tests). */
export interface PartialOptions {
  allowPartial?: boolean;
  now?: Date;
}

/**
 * Why `ds` cannot be complete yet (its day has not ended in the dataset's
 * zone), or null. Without `allowPartial` such a day is a usage error (exit 2),
 * in one sentence.
 */
export function openDayReason(cfg: DatasetConfig, ds: string, opts: PartialOptions): string | null {
  const clock = dayClock(ds, cfg.timezone);
  const now = opts.now ?? new Date();
  if (now.getTime() >= clock.end) return null;
  const end = new Date(clock.end).toISOString().slice(0, 16) + "Z";
  if (!opts.allowPartial)
    throw new UserError(
      `ds ${ds} has not ended yet in ${cfg.timezone} (it ends at ${end}): load it once the day is over, or allow a partial day (--allow-partial, or allow_partial=true on upload) to publish it marked partial.`,
    );
  return `the day had not ended in ${cfg.timezone} when it was loaded (it ends at ${end})`;
}

/**
 * Whether a day with these checks is published, and why it is partial (null:
 * complete). A day failing only completeness is published partial when that
 * is allowed; any other failing error check rejects it.
 */
export function publishDecision(checks: CheckResult[], openDay: string | null, allowPartial: boolean): { published: boolean; partialReason: string | null } {
  const blocking = checks.filter((c) => c.status === "fail" && c.severity === "error");
  const onlyCompleteness = blocking.length > 0 && blocking.every((c) => COMPLETENESS_CHECKS.includes(c.name));
  const published = blocking.length === 0 || (onlyCompleteness && allowPartial);
  if (!published) return { published, partialReason: null };
  const reasons = [openDay, onlyCompleteness ? `it failed completeness (${blocking.map((c) => c.name).join(", ")})` : null].filter((r): r is string => r !== null);
  return { published, partialReason: reasons.length ? reasons.join("; ") : null };
}

/** A staged batch whose rows are all in, ready for the aggregate checks. */
export interface StagedDay {
  batchId: number;
  ds: string;
  /** The day's aggregate rows (built from its events, or read from a warehouse export); not stored yet. */
  rows: AggRow[];
  /** Checks already run before the aggregate (raw-partition checks, host volume). */
  audit: CheckResult[];
  counts: Pick<IngestResult, "rows_read" | "rows_loaded" | "rows_rejected" | "duplicates">;
  rejectsSample: IngestResult["rejects_sample"];
  sourceFiles: string[];
  /** `openDayReason` of the day: it had not ended when loaded. */
  openDay: string | null;
  /** SHA-256 of the input files, kept on the batch. */
  checksum?: string;
}

export interface PublishDayOptions<X extends object> extends PartialOptions {
  /** Called once the checks are stored, with the milliseconds they took (before the result is stored). */
  onChecked?: (ms: number) => void;
  /** Called once the day passed, before its metric values are computed. */
  onPublishing?: () => void;
  /** Fields added to the result (and to the batch's stored result), e.g. the raw ingest's timings. */
  extra?: X;
}

/** Milliseconds per step of the tail (the raw ingest reports them in its `timings`). */
export interface PublishSteps {
  checks_ms: number;
  metrics_ms: number;
  publish_ms: number;
}

/**
 * Stores the day's aggregate, runs the aggregate checks, and publishes the
 * batch (with its metric values, marked partial when `publishDecision` says
 * so, then applies retention) or rejects it (kept for inspection).
 */
export function publishDay<X extends object = object>(
  db: DB,
  cfg: DatasetConfig,
  day: StagedDay,
  opts: PublishDayOptions<X> = {},
): { result: IngestResult & X; steps: PublishSteps } {
  const t0 = performance.now();
  const { batchId, ds, rows } = day;
  insertAggRows(db, batchId, rows);
  const checks = [...day.audit, ...runAggChecks(db, cfg, ds, rows)];
  insertChecks(db, batchId, checks);
  const t1 = performance.now();
  opts.onChecked?.(t1 - t0);
  const { published, partialReason } = publishDecision(checks, day.openDay, opts.allowPartial === true);
  const result = {
    ds,
    dataset: cfg.name,
    published,
    partial: partialReason !== null,
    partial_reason: partialReason,
    ...day.counts,
    checks,
    rejects_sample: day.rejectsSample,
    batch_id: batchId,
    source_files: day.sourceFiles,
    ...opts.extra,
  } as IngestResult & X;
  if (day.checksum !== undefined) setBatchChecksum(db, batchId, day.checksum);
  let t2 = t1;
  if (published) {
    opts.onPublishing?.();
    storeMetricValues(db, batchId, computeMetrics(cfg, ds, rows));
    t2 = performance.now();
    publishBatch(db, batchId, result, partialReason);
    applyRetention(db, cfg, opts.now ?? new Date());
  } else {
    rejectBatch(db, batchId, result);
  }
  return { result, steps: { checks_ms: t1 - t0, metrics_ms: t2 - t1, publish_ms: performance.now() - t2 } };
}
