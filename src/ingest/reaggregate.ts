/**
 * `guardrail reaggregate` (docs/cli.md): rebuilds the aggregate, the
 * aggregate checks, the visit channels of the raw rows and the metric values
 * of published days from their stored raw events, with the current rules
 * (visits, channel rules, levels). Stores built before visits existed hold
 * per-event channels; after this, baselines compare like with like. One
 * transaction per day: a failure leaves that day as it was. Days whose raw
 * events retention removed are reported and left as they are.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { EventRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { isValidDs } from "../shared/dates.js";
import { Aggregator } from "../aggregate/aggregator.js";
import { runAggChecks } from "../quality/agg-checks.js";
import { computeMetrics, storeMetricValues } from "../metrics/compute.js";
import { publishedRawBatches, replaceAggregate } from "../store/partitions.js";
import { forEachRawBlock, storeVisitChannels, type BlockExtent } from "../store/raw-blocks.js";

export interface ReaggregatedDay {
  ds: string;
  batch_id: number;
  /** `rebuilt`, or `raw_expired`: retention removed its raw events, so it was left as it was. */
  status: "rebuilt" | "raw_expired";
  events: number;
  /** Aggregate checks that fail with the rebuilt aggregate (the day stays published). */
  failing_checks: string[];
}

export interface ReaggregateResult {
  dataset: string;
  from: string;
  to: string;
  days: ReaggregatedDay[];
}

export interface ReaggregateOptions {
  from: string;
  to: string;
  /** After each day (progress). */
  onDay?: (day: ReaggregatedDay, index: number, total: number) => void;
}

export function reaggregate(db: DB, cfg: DatasetConfig, opts: ReaggregateOptions): ReaggregateResult {
  for (const [flag, v] of [["--from", opts.from], ["--to", opts.to]] as const)
    if (!isValidDs(v)) throw new UserError(`${flag} ${v}: expected a date YYYY-MM-DD.`);
  if (opts.from > opts.to) throw new UserError(`--from ${opts.from} is after --to ${opts.to}; give the first day first.`);
  const batches = publishedRawBatches(db, cfg.name, opts.from, opts.to);
  const days: ReaggregatedDay[] = [];
  batches.forEach((b, i) => {
    const day = b.raw_expired ? expired(b.ds, b.id) : rebuildDay(db, cfg, b.id, b.ds, b.rows_loaded);
    days.push(day);
    opts.onDay?.(day, i, batches.length);
  });
  return { dataset: cfg.name, from: opts.from, to: opts.to, days };
}

const expired = (ds: string, batchId: number): ReaggregatedDay => ({ ds, batch_id: batchId, status: "raw_expired", events: 0, failing_checks: [] });

function rebuildDay(db: DB, cfg: DatasetConfig, batchId: number, ds: string, rowsLoaded: number): ReaggregatedDay {
  const agg = new Aggregator(undefined, cfg.channels);
  const extents: BlockExtent[] = [];
  let events = 0;
  const blocks = forEachRawBlock(db, batchId, (extent, rows) => {
    extents.push(extent);
    for (const r of rows) {
      if (!r) continue;
      const e: EventRow = {
        line: r.line,
        user_id: r.user_id,
        logged_out_user_id: r.logged_out_user_id,
        dim_hostname: r.dim_hostname,
        dim_country: r.dim_country,
        dim_device_brand: r.dim_device_brand,
        action_type: r.action_type,
        event_ms: r.event_ms,
        other_properties: JSON.parse(r.other_properties) as Record<string, string>,
        ds,
      };
      agg.add(e);
      events++;
    }
  });
  // No blocks for a day that loaded rows: its raw events are gone (removed by hand or by an older retention).
  if (blocks === 0 && rowsLoaded > 0) return expired(ds, batchId);
  const rows = agg.rows(ds);
  let failing: string[] = [];
  db.transaction(() => {
    const checks = runAggChecks(db, cfg, ds, rows);
    failing = checks.filter((c) => c.status === "fail").map((c) => c.name);
    replaceAggregate(db, batchId, rows, checks);
    const visits = agg.visitChannels;
    storeVisitChannels(db, batchId, extents, visits.values as string[], (k) => visits.codes[k]);
    storeMetricValues(db, batchId, computeMetrics(cfg, ds, rows));
  })();
  return { ds, batch_id: batchId, status: "rebuilt", events, failing_checks: failing };
}
