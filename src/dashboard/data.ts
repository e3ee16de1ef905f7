/**
 * Everything the dashboard shows, read from the store in one place. Tables of
 * other modules (evaluations, suspects, overrides) are optional: a store
 * without them shows "none" instead of failing.
 */
import type { DB } from "../store/db.js";
import type { GuardrailConfig, MetricDef } from "../config/schema.js";
import { resolveDataset, type DatasetConfig } from "../config/load.js";
import type { CheckResult, Evaluation, Verdict, VerdictKind } from "../shared/types.js";
import { addDays, dsToEpochMs } from "../shared/dates.js";
import { batchChecks, dayStatus, latestAttempt, latestPublishedDs, listDatasets, publishedBatch, type DayStatus } from "../store/partitions.js";
import { evaluateDay } from "../evaluate/index.js";
import { describeError } from "../shared/errors.js";
import { computedBand, type Band, type DayValue } from "./band.js";
import type { OverrideRow } from "../store/repos.js";

export const HISTORY_DAYS = 56;
export const BREAKDOWN_DIMENSIONS = ["dim_country", "dim_device_brand", "dim_channel"] as const;

export interface SeriesPoint extends DayValue {
  band: Band | null;
  verdict: VerdictKind | null;
  /** Where the band came from: a stored evaluation, or computed for the chart. */
  source: "evaluation" | "computed" | null;
}

export interface MetricSeries {
  def: MetricDef;
  points: SeriesPoint[];
}

export interface SuspectRow {
  repo: string;
  sha: string;
  reason: string;
  evidence: string;
}

export type { OverrideRow } from "../store/repos.js";

export interface DashboardData {
  datasets: string[];
  dataset: string;
  cfg: DatasetConfig;
  ds: string | null;
  dayStatus: DayStatus | null;
  evaluation: Evaluation | null;
  evaluationError: string | null;
  series: MetricSeries[];
  /** metric → dimension → value → number, for the selected day. */
  breakdowns: Map<string, Map<string, Map<string, number | null>>>;
  checks: CheckResult[];
  batchStatus: string | null;
  suspects: SuspectRow[];
  overrides: OverrideRow[];
  publishedDays: string[];
}

/** The newest stored evaluation of each day in [from, to]. */
function storedEvaluations(db: DB, dataset: string, from: string, to: string): Map<string, Evaluation> {
  const out = new Map<string, Evaluation>();
  const rows = db
    .prepare(
      `SELECT ds, json FROM evaluations e WHERE dataset = ? AND ds BETWEEN ? AND ?
         AND id = (SELECT MAX(id) FROM evaluations x WHERE x.dataset = e.dataset AND x.ds = e.ds)`,
    )
    .all(dataset, from, to) as { ds: string; json: string }[];
  for (const r of rows) {
    try {
      out.set(r.ds, JSON.parse(r.json) as Evaluation);
    } catch {
      /* a corrupt history row only loses its band */
    }
  }
  return out;
}

function metricHistory(db: DB, dataset: string, metric: string, from: string, to: string): Map<string, DayValue> {
  const rows = db
    .prepare(
      `SELECT ds, value, numerator, denominator FROM published_metrics
        WHERE dataset = ? AND metric = ? AND dimension = '' AND ds BETWEEN ? AND ? ORDER BY ds`,
    )
    .all(dataset, metric, from, to) as DayValue[];
  return new Map(rows.map((r) => [r.ds, r]));
}

function dayBreakdowns(db: DB, dataset: string, ds: string): DashboardData["breakdowns"] {
  const out: DashboardData["breakdowns"] = new Map();
  const rows = db
    .prepare(`SELECT metric, dimension, value_key, value FROM published_metrics WHERE dataset = ? AND ds = ? AND dimension <> ''`)
    .all(dataset, ds) as { metric: string; dimension: string; value_key: string; value: number | null }[];
  for (const r of rows) {
    let byDim = out.get(r.metric);
    if (!byDim) out.set(r.metric, (byDim = new Map()));
    let byValue = byDim.get(r.dimension);
    if (!byValue) byDim.set(r.dimension, (byValue = new Map()));
    byValue.set(r.value_key === "" ? "(unknown)" : r.value_key, r.value);
  }
  return out;
}

function suspectsOf(db: DB, dataset: string, ds: string): SuspectRow[] {
  return db.prepare(`SELECT repo, sha, reason, evidence FROM suspects WHERE dataset = ? AND ds = ? ORDER BY repo, sha`).all(dataset, ds) as SuspectRow[];
}

function overridesOf(db: DB, dataset: string): OverrideRow[] {
  // Before any repo is recorded (a local run), every override is shown.
  return db
    .prepare(
      `SELECT repo, pr_number, sha, actor, reason, created_at FROM overrides
       WHERE repo IN (SELECT repo FROM repos WHERE dataset = ?) OR NOT EXISTS (SELECT 1 FROM repos)
       ORDER BY created_at DESC LIMIT 20`,
    )
    .all(dataset) as OverrideRow[];
}

/** The selected day's verdicts: the stored evaluation, else judged now (not stored) as of that day. */
function evaluationOf(db: DB, cfg: DatasetConfig, ds: string, stored: Map<string, Evaluation>, latest: string | null): { evaluation: Evaluation | null; error: string | null } {
  const hit = stored.get(ds);
  if (hit) return { evaluation: hit, error: null };
  try {
    // An older day is judged as of its own end, like a backtest; the latest one as of now (stale shows).
    const now = ds === latest ? new Date() : new Date(dsToEpochMs(addDays(ds, 1)) + 3_600_000);
    return { evaluation: evaluateDay(db, cfg, { ds, persist: false, now }), error: null };
  } catch (err) {
    return { evaluation: null, error: describeError(err) };
  }
}

function verdictFor(evaluation: Evaluation | undefined, metric: string): Verdict | undefined {
  return evaluation?.verdicts.find((v) => v.metric === metric);
}

export function loadDashboardData(db: DB, config: GuardrailConfig, opts: { dataset?: string; ds?: string }): DashboardData {
  const known = [...new Set([...listDatasets(db), ...Object.keys(config.datasets)])].sort();
  const dataset = opts.dataset ?? (known.includes("default") || known.length === 0 ? "default" : known[0]!);
  const cfg = resolveDataset(config, dataset);
  const latest = latestPublishedDs(db, dataset);
  const ds = opts.ds ?? latest;
  const empty: DashboardData = {
    datasets: known.length ? known : [dataset],
    dataset,
    cfg,
    ds,
    dayStatus: null,
    evaluation: null,
    evaluationError: null,
    series: [],
    breakdowns: new Map(),
    checks: [],
    batchStatus: null,
    suspects: [],
    overrides: overridesOf(db, dataset),
    publishedDays: [],
  };
  if (!ds) return empty;

  const from = addDays(ds, -(HISTORY_DAYS - 1));
  // Bands need up to twice `weeks` of history before the first charted day.
  const stored = storedEvaluations(db, dataset, from, ds);
  const { evaluation, error } = evaluationOf(db, cfg, ds, stored, latest);
  const e = cfg.evaluation;
  const series: MetricSeries[] = cfg.metrics.map((def) => {
    const history = metricHistory(db, dataset, def.name, addDays(from, -7 * e.weeks * 2), ds);
    const sensitivity = def.sensitivity ?? e.sensitivity;
    const points: SeriesPoint[] = [];
    for (let d = from; d <= ds; d = addDays(d, 1)) {
      const v = history.get(d) ?? { ds: d, value: null, numerator: null, denominator: null };
      const verdict = d === ds && evaluation ? verdictFor(evaluation, def.name) : verdictFor(stored.get(d), def.name);
      if (verdict && verdict.expected !== null && verdict.lower !== null && verdict.upper !== null) {
        points.push({ ...v, band: { expected: verdict.expected, lower: verdict.lower, upper: verdict.upper }, verdict: verdict.verdict, source: "evaluation" });
        continue;
      }
      const band = v.value === null ? null : computedBand(history, d, { kind: def.kind, weeks: e.weeks, minWeeks: e.min_weeks, sensitivity });
      points.push({ ...v, band, verdict: verdict?.verdict ?? null, source: band ? "computed" : null });
    }
    return { def, points };
  });
  const batch = publishedBatch(db, dataset, ds) ?? latestAttempt(db, dataset, ds);
  const publishedDays = (db.prepare(`SELECT ds FROM partitions WHERE dataset = ? AND status = 'published' ORDER BY ds`).all(dataset) as { ds: string }[]).map((r) => r.ds);
  return {
    ...empty,
    ds,
    dayStatus: dayStatus(db, dataset, ds),
    evaluation,
    evaluationError: error,
    series,
    breakdowns: dayBreakdowns(db, dataset, ds),
    checks: batch ? batchChecks(db, batch.id) : [],
    batchStatus: batch?.status ?? null,
    suspects: suspectsOf(db, dataset, ds),
    publishedDays,
  };
}
