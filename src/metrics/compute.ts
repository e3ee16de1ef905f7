/**
 * Metric values of one day from its aggregate rows (docs/metrics.md), never from raw
 * events: the same code serves days we aggregated ourselves and warehouse
 * exports (`ingest-agg`), and baselines read the stored values back.
 *
 * Each measure is read from the level that holds it exactly: event counts add
 * up across hours and actions, so they fall back to coarser sources; distinct
 * counts do not, so when their level is missing the value is null (undefined)
 * rather than a wrong sum.
 */
import type { DB } from "../store/db.js";
import { latestPublishedDs, publishedBatch } from "../store/partitions.js";
import { metricRowsOfBatch, replaceMetricValues, type NewMetricValue } from "../store/metric-values.js";
import type { DatasetConfig } from "../config/load.js";
import type { CountMetricDef, Dimension, MetricDef } from "../config/schema.js";
import type { AggRow, MetricReport, Report } from "../shared/types.js";
import { DIMENSION_LEVEL } from "../aggregate/levels.js";

/** Key of a segment whose dimension value is NULL (e.g. no device brand). */
export const UNKNOWN = "(unknown)";
const VERSION_DIM: Dimension = "dim_app_version";
const HOURLY_DIMS = new Set(["dim_hostname", "dim_country", "dim_device_brand", "dim_channel"]);

const MEASURE: Record<CountMetricDef["measure"], "m_total_events" | "m_unique_visitors" | "m_unique_users" | "m_visits"> = {
  events: "m_total_events",
  visits: "m_visits",
  unique_visitors: "m_unique_visitors",
  unique_users: "m_unique_users",
};

type Parts = { numerator: number | null; denominator: number | null };
/** Numerator and denominator behind each ratio value; kept beside the report so its JSON stays docs/cli.md. */
const PARTS = new WeakMap<MetricReport, Record<string, Record<string, Parts>>>();

/** A segment → value map; null means "this dimension cannot be derived from the levels present". */
type Segments = Map<string, number | null>;

class Levels {
  private readonly by = new Map<string, AggRow[]>();
  /** An empty day has no rows at all: every level is then present and zero. */
  private readonly empty: boolean;
  constructor(rows: AggRow[]) {
    for (const r of rows) {
      let list = this.by.get(r.aggregation_level);
      if (!list) this.by.set(r.aggregation_level, (list = []));
      list.push(r);
    }
    this.empty = rows.length === 0;
  }
  get(level: string): AggRow[] | null {
    return this.by.get(level) ?? (this.empty ? [] : null);
  }
}

const actionFilter = (m: CountMetricDef) => (m.actions === "all" ? null : new Set<string>(m.actions));

function sum(rows: AggRow[], col: keyof AggRow, actions: Set<string> | null): number {
  let s = 0;
  for (const r of rows) if (!actions || (r.action_type != null && actions.has(r.action_type))) s += r[col] as number;
  return s;
}

/** Event and visit counts add up across hours and actions; distinct counts do not. */
const additive = (m: CountMetricDef) => m.measure === "events" || m.measure === "visits";
/** Rows built before visits existed (or a warehouse export without m_visits) cannot give visits. */
const lacks = (rows: AggRow[], col: keyof AggRow) => col === "m_visits" && rows.some((r) => r.m_visits == null);

function countTotal(lv: Levels, m: CountMetricDef): number | null {
  const actions = actionFilter(m);
  const col = MEASURE[m.measure];
  if (additive(m)) {
    const src = (actions ? null : lv.get("daily_total")) ?? lv.get("daily") ?? lv.get("overall");
    return src && !lacks(src, col) ? sum(src, col, actions) : null;
  }
  // Distinct counts: only a level grouped exactly by the metric's actions holds them.
  if (!actions) {
    const src = lv.get("daily_total");
    return src ? sum(src, col, null) : null;
  }
  if (actions.size !== 1) return null;
  const src = lv.get("daily");
  return src ? sum(src, col, actions) : null;
}

function group(rows: AggRow[], dim: Dimension, col: keyof AggRow, actions: Set<string> | null, out: Segments, asNull = false): Segments {
  for (const r of rows) {
    if (actions && (r.action_type == null || !actions.has(r.action_type))) continue;
    const key = r[dim] ?? UNKNOWN;
    out.set(key, asNull ? null : ((out.get(key) ?? 0) as number) + (r[col] as number));
  }
  return out;
}

function countBreakdown(lv: Levels, m: CountMetricDef, dim: Dimension): Segments | null {
  const actions = actionFilter(m);
  const col = MEASURE[m.measure];
  const suffix = DIMENSION_LEVEL[dim];
  const byAction = lv.get(`daily_${suffix}`);
  const total = lv.get(`daily_${suffix}_total`);
  const hourly = HOURLY_DIMS.has(dim) ? lv.get(suffix) : null;
  if (additive(m)) {
    const src = (actions ? null : total) ?? byAction ?? hourly;
    return src && !lacks(src, col) ? group(src, dim, col, actions, new Map()) : null;
  }
  const exact = !actions ? total : actions.size === 1 ? byAction : null;
  if (exact) return group(exact, dim, col, actions, new Map());
  // Not derivable: name the segments we know of, with an undefined value.
  const known = byAction ?? total ?? hourly;
  return known ? group(known, dim, col, actions, new Map(), true) : null;
}

const ratio = (num: number | null, den: number | null): number | null => (num == null || den == null || den === 0 ? null : num / den);

function breakdownsOf(m: MetricDef, withVersions: boolean): Dimension[] {
  const dims = [...m.breakdowns];
  if (withVersions && !dims.includes(VERSION_DIM)) dims.push(VERSION_DIM);
  return dims;
}

/** Every configured metric and breakdown from the aggregate rows of one day. */
export function computeMetrics(cfg: DatasetConfig, ds: string, rows: AggRow[]): Report {
  const lv = new Levels(rows);
  // Version mode needs per-version values whenever the events say which version served them.
  const withVersions = rows.some((r) => r.dim_app_version != null);
  const counts = new Map<string, CountMetricDef>();
  for (const m of cfg.metrics) if (m.kind === "count") counts.set(m.name, m);
  const cache = new Map<string, Segments | null>();
  const breakdownOf = (m: CountMetricDef, dim: Dimension) => {
    const key = `${m.name}\u0000${dim}`;
    if (!cache.has(key)) cache.set(key, countBreakdown(lv, m, dim));
    return cache.get(key)!;
  };

  const metrics: Record<string, MetricReport> = {};
  for (const m of cfg.metrics) {
    const breakdown: MetricReport["breakdown"] = {};
    if (m.kind === "count") {
      for (const dim of breakdownsOf(m, withVersions)) {
        const seg = breakdownOf(m, dim);
        if (seg) breakdown[dim] = Object.fromEntries(seg);
      }
      metrics[m.name] = { value: countTotal(lv, m), breakdown };
      continue;
    }
    const numM = counts.get(m.numerator);
    const denM = counts.get(m.denominator);
    if (!numM || !denM) throw new Error(`metric ${m.name}: ratio of unknown count metrics (the config loader should have refused it).`);
    const num = countTotal(lv, numM);
    const den = countTotal(lv, denM);
    const parts: Record<string, Record<string, Parts>> = { "": { "": { numerator: num, denominator: den } } };
    for (const dim of breakdownsOf(m, withVersions)) {
      const ns = breakdownOf(numM, dim);
      const dsg = breakdownOf(denM, dim);
      if (!ns && !dsg) continue;
      const values: Record<string, number | null> = {};
      const p: Record<string, Parts> = {};
      const keys = new Set([...(dsg?.keys() ?? []), ...(ns?.keys() ?? [])]);
      for (const k of keys) {
        // A segment missing on one side has no such events there: 0, unless that side is not derivable at all.
        const n = ns ? (ns.has(k) ? ns.get(k)! : 0) : null;
        const d = dsg ? (dsg.has(k) ? dsg.get(k)! : 0) : null;
        values[k] = ratio(n, d);
        p[k] = { numerator: n, denominator: d };
      }
      breakdown[dim] = values;
      parts[dim] = p;
    }
    // Keep the JSON key order of docs/cli.md: value, numerator, denominator, breakdown.
    const ordered: MetricReport = { value: ratio(num, den), ...(num != null ? { numerator: num } : {}), ...(den != null ? { denominator: den } : {}), breakdown };
    PARTS.set(ordered, parts);
    metrics[m.name] = ordered;
  }
  return { ds, dataset: cfg.name, metrics };
}

/** Writes the report into metric_values under `batchId` (replacing what that batch had). */
export function storeMetricValues(db: DB, batchId: number, report: Report): void {
  const values: NewMetricValue[] = [];
  for (const [name, m] of Object.entries(report.metrics)) {
    const parts = PARTS.get(m);
    const put = (dim: string, key: string, value: number | null, p?: Parts) =>
      values.push({ dataset: report.dataset, ds: report.ds, metric: name, dimension: dim, value_key: key, value, numerator: p?.numerator ?? null, denominator: p?.denominator ?? null });
    const total = parts?.[""]?.[""] ?? (m.numerator !== undefined || m.denominator !== undefined ? { numerator: m.numerator ?? null, denominator: m.denominator ?? null } : undefined);
    put("", "", m.value, total);
    for (const [dim, seg] of Object.entries(m.breakdown)) for (const [key, value] of Object.entries(seg)) put(dim, key, value, parts?.[dim]?.[key]);
  }
  replaceMetricValues(db, batchId, values);
}

/** The report of day `ds`, else of the newest published day (at most `atMost`: the newest as of a past time); null if none. */
export function loadReport(db: DB, dataset: string, ds?: string, atMost?: string): Report | null {
  const day = ds ?? latestPublishedDs(db, dataset, atMost);
  if (!day) return null;
  const batch = publishedBatch(db, dataset, day);
  if (!batch) return null;
  const rows = metricRowsOfBatch(db, batch.id);
  const metrics: Record<string, MetricReport> = {};
  for (const r of rows) {
    let m = metrics[r.metric];
    if (!m) m = metrics[r.metric] = { value: null, breakdown: {} };
    if (r.dimension === "") {
      metrics[r.metric] = {
        value: r.value,
        ...(r.numerator != null ? { numerator: r.numerator } : {}),
        ...(r.denominator != null ? { denominator: r.denominator } : {}),
        breakdown: m.breakdown,
      };
    } else (m.breakdown[r.dimension] ??= {})[r.value_key] = r.value;
  }
  return { ds: day, dataset, metrics, ...(batch.partial_reason ? { partial_reason: batch.partial_reason } : {}) };
}
