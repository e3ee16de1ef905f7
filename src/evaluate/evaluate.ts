/**
 * Judging one day: every configured metric against the same weekday of the
 * previous published weeks (docs/verdicts.md). The judge returns codes and
 * numbers; the sentences are written by src/present/verdict-text.ts.
 *
 * Per metric: a robust baseline (baseline.ts), exact tails for small counts
 * (tails.ts), the big-segment rule (segments.ts), and for guardrails the
 * within-day scan (hourly.ts), the accumulation across days with hysteresis
 * (sequential.ts), the mix-shift rule, marked special days and the power
 * figures (power.ts).
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { CountMetricDef, MetricDef } from "../config/schema.js";
import type { Evaluation, Verdict, VerdictKind, VerdictReason, VersionVerdict } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { addDays, dayClock, dsInZone, epochMsToDs, hoursSinceZoneDayEnd, isValidDs, weekday, DS_BOUNDS } from "../shared/dates.js";
import { dayStates, type DayState } from "./days.js";
import { metricRowsByBatch, metricTotalsByBatch, type MetricRow } from "../store/metric-values.js";
import { latestAttemptedDs, latestPublishedDs } from "../store/partitions.js";
import { markedDays } from "../store/marks.js";
import { hourlyActionEvents } from "../store/hourly.js";
import { countRelativeSpread, ratioRelativeBetweenVariance, type RatioPair } from "./spread.js";
import { countEstimate, exactCountZ, exactRatioZ, judge, ratioEstimate, zBeyondMargin, type Estimate, type Fraction, type Judgement, type RatioEstimate, type Thresholds } from "./stats.js";
import { bestDimension, localiseCount, localiseRatio, type DimensionLocalisation } from "./localise.js";
import { versionVerdicts, VERSION_DIMENSION } from "./versions.js";
import { failingSegment, type SegmentFailure, type SegmentSeries } from "./segments.js";
import { chooseCountBaseline, chooseRatioBaseline, type Exclusion, type ExclusionReason } from "./baseline.js";
import { scanHours, type HourlyDay, type HourlyRun } from "./hourly.js";
import { INITIAL_STATE, stepSequential, type DayScore, type SequentialCarry, type SequentialParams } from "./sequential.js";
import { powerOf } from "./power.js";
import { isEnforcedGuardrail } from "../shared/decision.js";
import { dataSentence, daySummary, verdictSentence, type MetricWords, type VerdictFigures, type WhereFigures } from "../present/verdict-text.js";


export interface EvaluateOptions {
  /** Day to judge; default: the newest day with a published or audit-rejected export. */
  ds?: string;
  /** Clock for freshness (tests, backtest). */
  now?: Date;
  /**
   * Judge as of this time (`--as-of`): the clock for staleness, and only days
   * that had ended by then count as loaded (the default day, the newest published one).
   */
  asOf?: Date;
  /** Store the evaluation in history (default true). */
  persist?: boolean;
  /** Metric values per batch id, shared between the days of a backtest. */
  cache?: Map<number, MetricRow[]>;
  /** Day totals per batch id (the spread and sequential windows), shared between the days of a backtest. */
  totalsCache?: Map<number, MetricRow[]>;
  /** Hourly event counts per batch id, shared between the days of a backtest. */
  hourlyCache?: Map<number, Map<string, number[]> | null>;
}

/** Why the day could (not) be judged; added to the evaluate JSON as `data`. */
export interface DataState {
  state: "published" | "missing" | "staged" | "rejected" | "stale" | "partial";
  /** Newest published day of the dataset, if any. */
  latest_published: string | null;
  /** Hours between the end of latest_published and `now`. */
  age_hours: number | null;
  /** Error checks that failed, for a rejected day. */
  failed_checks?: string[];
  /** Why a published day is partial (docs/ingest.md, "Completeness"). */
  partial_reason?: string;
  message: string;
}

/**
 * A verdict as judged here; `low_volume` (added to the JSON) marks a pass that
 * was not judged for lack of volume, `no_baseline` a metric without enough history.
 */
export interface JudgedVerdict extends Verdict {
  low_volume?: boolean;
  no_baseline?: boolean;
}

export interface DayEvaluation extends Evaluation {
  verdicts: JudgedVerdict[];
  data: DataState;
}

/** Status precedence: the worst enforced guardrail decides; bad or missing data outranks a warning. */
export const STATUS_ORDER: VerdictKind[] = ["pass", "warn", "no_data", "inconclusive", "fail"];

export function worst(kinds: VerdictKind[], empty: VerdictKind = "pass"): VerdictKind {
  let out: VerdictKind | null = null;
  for (const k of kinds) if (out === null || STATUS_ORDER.indexOf(k) > STATUS_ORDER.indexOf(out)) out = k;
  return out ?? empty;
}

export function judgeDay(db: DB, cfg: DatasetConfig, opts: EvaluateOptions = {}): DayEvaluation {
  const now = opts.asOf ?? opts.now ?? new Date();
  // As of a past time, days that had not ended then did not exist yet.
  const atMost = opts.asOf ? addDays(dsInZone(opts.asOf.getTime(), cfg.timezone), -1) : undefined;
  const ev = cfg.evaluation;
  if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${opts.ds}".`);
  const ds = opts.ds ?? latestAttemptedDs(db, cfg.name, atMost) ?? addDays(dsInZone(now.getTime(), cfg.timezone), -1);

  const lookback = lookbackOf(ds, ev.weeks);
  // Day totals: the spread window (every day of the last spread_weeks weeks, each paired with the same weekday a
  // week earlier) and the sequential window (sequential_days days, each with its own look-back).
  const spreadSpan = ev.spread_weeks > 0 ? 7 * ev.spread_weeks + 7 : 0;
  const totalsSpan = Math.max(spreadSpan, ev.sequential_days > 0 ? ev.sequential_days + 14 * ev.weeks : 0);
  const totalsDays = Array.from({ length: totalsSpan }, (_, i) => addDays(ds, -(i + 1)));
  const states = dayStates(db, cfg.name, [...new Set([ds, ...lookback, ...totalsDays])]);
  const data = dataState(db, cfg, ds, states.get(ds)!, now, atMost);
  // A partial day is never a baseline day (docs/ingest.md, "Completeness").
  const publishedBefore = lookback.filter((d) => isComplete(states.get(d)));
  const marks = markMap(db, cfg, addDays(ds, -totalsSpan - 14 * ev.weeks), ds);

  let verdicts: JudgedVerdict[];
  let versions: VersionVerdict[] = [];
  if (data.state !== "published") {
    const kind: VerdictKind = data.state === "rejected" || data.state === "partial" ? "inconclusive" : "no_data";
    verdicts = cfg.metrics.map((m) => emptyVerdict(m, kind, `${m.name}: ${data.message}`, "data_state"));
  } else {
    const batchOf = (d: string) => (states.get(d) as Extract<DayState, { state: "published" }>).batchId;
    const rows = loadRows(db, [ds, ...publishedBefore].map(batchOf), opts.cache);
    const today = rows.get(batchOf(ds))!;
    const base = publishedBefore.map((d) => ({ ds: d, rows: rows.get(batchOf(d))! }));
    const totals = loadTotals(db, totalsDays, states, opts.totalsCache);
    totals.set(ds, today);
    for (const b of base) totals.set(b.ds, b.rows);
    const spreadDays = new Set(totalsDays.slice(0, spreadSpan));
    const ctx: MetricContext = {
      db,
      cfg,
      ds,
      today,
      base,
      totals,
      pairs: spreadPairs(totalsDays.slice(0, Math.max(0, spreadSpan - 7)).filter((d) => spreadDays.has(d)), totals, marks),
      marks,
      partialDays: new Set(lookback.filter((d) => states.get(d)?.state === "published" && !isComplete(states.get(d)))),
      lookbackDays: lookback.length,
      publishedBefore: publishedBefore.length,
      batchOf: (d) => (states.get(d)?.state === "published" ? batchOf(d) : null),
      hourlyCache: opts.hourlyCache ?? new Map(),
    };
    verdicts = cfg.metrics.map((m) => judgeMetric(ctx, m));
    for (const m of cfg.metrics) {
      if (m.kind === "ratio" && m.guardrail) versions.push(...versionVerdicts(m, today, thresholdsOf(cfg, m), ev.version_min_denominator));
    }
  }

  const enforced = verdicts.filter((v) => isEnforcedGuardrail(v));
  const fallback: VerdictKind = data.state === "published" ? "pass" : data.state === "rejected" || data.state === "partial" ? "inconclusive" : "no_data";
  const status = worst(enforced.map((v) => v.verdict), fallback);
  const culprits = versions.filter((v) => v.verdict === "fail");
  const summary = daySummary(ds, status, enforced, culprits, data.state === "published" ? null : data.message);
  return { ds, dataset: cfg.name, status, verdicts, versions, summary, data };
}

/** The same weekday of the previous 2 × weeks weeks, newest first (a metric uses the newest `weeks` that qualify). */
function lookbackOf(ds: string, weeks: number): string[] {
  return Array.from({ length: 2 * weeks }, (_, i) => addDays(ds, -7 * (i + 1)));
}

/** Marked days: the dataset's calendar and `guardrail mark`, the newest mark winning. */
function markMap(db: DB, cfg: DatasetConfig, from: string, to: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of cfg.calendar) if (c.date >= from && c.date <= to) out.set(c.date, c.reason);
  for (const m of markedDays(db, cfg.name, from, to)) out.set(m.ds, m.reason);
  return out;
}

function loadRows(db: DB, batchIds: number[], cache?: Map<number, MetricRow[]>): Map<number, MetricRow[]> {
  const missing = batchIds.filter((id) => !cache?.has(id));
  const loaded = metricRowsByBatch(db, missing);
  if (cache) for (const [id, rows] of loaded) cache.set(id, rows);
  return new Map(batchIds.map((id) => [id, cache?.get(id) ?? loaded.get(id)!]));
}

type TotalsByDay = Map<string, MetricRow[]>;

/** Published and complete: a day that may teach a baseline. */
function isComplete(state: DayState | undefined): boolean {
  return state?.state === "published" && state.partial === null;
}

function loadTotals(db: DB, days: string[], states: Map<string, DayState>, cache?: Map<number, MetricRow[]>): TotalsByDay {
  const published = days.filter((d) => isComplete(states.get(d)));
  const batchOf = (d: string) => (states.get(d) as Extract<DayState, { state: "published" }>).batchId;
  const missing = published.map(batchOf).filter((id) => !cache?.has(id));
  const loaded = metricTotalsByBatch(db, missing);
  if (cache) for (const [id, rows] of loaded) cache.set(id, rows);
  return new Map(published.map((d) => [d, cache?.get(batchOf(d)) ?? loaded.get(batchOf(d))!]));
}

/** Week-over-week pairs of day totals inside the spread window: [day t, day t − 7], both published, neither marked. */
function spreadPairs(days: string[], totals: TotalsByDay, marks: Map<string, string>): [MetricRow[], MetricRow[]][] {
  const pairs: [MetricRow[], MetricRow[]][] = [];
  for (const d of days) {
    const before = addDays(d, -7);
    const a = totals.get(d);
    const b = totals.get(before);
    if (a && b && !marks.has(d) && !marks.has(before)) pairs.push([a, b]);
  }
  return pairs;
}

function dataState(db: DB, cfg: DatasetConfig, ds: string, state: DayState, now: Date, atMost?: string): DataState {
  const latest = latestPublishedDs(db, cfg.name, atMost);
  const age = latest === null ? null : hoursSinceZoneDayEnd(latest, cfg.timezone, now);
  const base = { latest_published: latest, age_hours: age === null ? null : Math.round(age * 10) / 10 };
  switch (state.state) {
    case "rejected":
      return { ...base, state: "rejected", failed_checks: state.failedChecks, message: dataSentence({ state: "rejected", ds, failedChecks: state.failedChecks }) };
    case "staged":
      return { ...base, state: "staged", message: dataSentence({ state: "staged", ds }) };
    case "missing":
      return { ...base, state: "missing", message: dataSentence({ state: "missing", ds, latest }) };
    case "published":
      if (state.partial !== null)
        return { ...base, state: "partial", partial_reason: state.partial, message: dataSentence({ state: "partial", ds, partial: state.partial }) };
      // Only the newest day can be stale: an older day is history, judged on its own data.
      if (latest === ds && age !== null && age > cfg.evaluation.freshness_hours)
        return { ...base, state: "stale", message: dataSentence({ state: "stale", ds, ageHours: age, freshnessHours: cfg.evaluation.freshness_hours }) };
      return { ...base, state: "published", message: dataSentence({ state: "published", ds }) };
  }
}

function emptyVerdict(m: MetricDef, kind: VerdictKind, message: string, reason: VerdictReason): JudgedVerdict {
  return {
    metric: m.name,
    guardrail: m.guardrail,
    enforced: m.enforce,
    verdict: kind,
    observed: null,
    expected: null,
    lower: null,
    upper: null,
    change: null,
    z: null,
    baseline_days: [],
    message,
    segments: [],
    decomposition: null,
    kind: m.kind,
    reason,
  };
}

export function thresholdsOf(cfg: DatasetConfig, m: MetricDef): Thresholds {
  const e = cfg.evaluation;
  return {
    sensitivity: m.sensitivity ?? e.sensitivity,
    warn_sensitivity: m.warn_sensitivity ?? e.warn_sensitivity,
    min_relative_change: m.min_relative_change ?? e.min_relative_change,
    min_denominator: m.min_denominator ?? e.min_denominator,
    bad_direction: m.bad_direction,
  };
}

function wordsOf(m: MetricDef, t: Thresholds, failMarginOf: number): MetricWords {
  return {
    name: m.name,
    kind: m.kind,
    numerator: m.kind === "ratio" ? m.numerator : undefined,
    denominator: m.kind === "ratio" ? m.denominator : undefined,
    bad_direction: m.bad_direction,
    guardrail: m.guardrail,
    enforce: m.enforce,
    sensitivity: t.sensitivity,
    min_relative_change: t.min_relative_change,
    min_denominator: t.min_denominator,
    fail_margin: failMarginOf,
  };
}

interface MetricContext {
  db: DB;
  cfg: DatasetConfig;
  ds: string;
  today: MetricRow[];
  /** Every published same weekday of the look-back, newest first, with all their rows (segments). */
  base: { ds: string; rows: MetricRow[] }[];
  /** Day totals of every published day the windows need (today and its look-back included). */
  totals: TotalsByDay;
  pairs: [MetricRow[], MetricRow[]][];
  marks: Map<string, string>;
  /** Days of the look-back published partial: never baseline days, listed among the exclusions. */
  partialDays: Set<string>;
  lookbackDays: number;
  publishedBefore: number;
  batchOf: (ds: string) => number | null;
  hourlyCache: Map<number, Map<string, number[]> | null>;
}

function totalRow(rows: MetricRow[] | undefined, metric: string): MetricRow | undefined {
  return rows?.find((r) => r.metric === metric && r.dimension === "" && r.value_key === "");
}

function fractionOf(r: MetricRow | undefined): Fraction | null {
  if (!r || r.numerator === null || r.denominator === null) return null;
  return { num: r.numerator, den: r.denominator };
}

/** The ordinary movement of one metric over the spread window (null: too few pairs). */
interface Spread {
  relSpread: number | null;
  tau2: number | null;
}

function spreadOf(ctx: MetricContext, m: MetricDef): Spread {
  if (m.kind === "count") {
    const pairs = ctx.pairs.map(([a, b]) => [totalRow(a, m.name)?.value ?? 0, totalRow(b, m.name)?.value ?? 0] as [number, number]);
    return { relSpread: countRelativeSpread(pairs), tau2: null };
  }
  const pairs: RatioPair[] = [];
  let num = 0;
  let den = 0;
  for (const [a, b] of ctx.pairs) {
    const fa = fractionOf(totalRow(a, m.name));
    const fb = fractionOf(totalRow(b, m.name));
    if (fa && fb) {
      pairs.push({ today: fa, before: fb });
      num += fb.num;
      den += fb.den;
    }
  }
  return { relSpread: null, tau2: den > 0 ? ratioRelativeBetweenVariance(pairs, num / den) : null };
}

/** One day of one metric, judged on its total against its robust baseline. */
type DayEstimate =
  | { state: "no_value"; parts: boolean }
  | { state: "zero_denominator"; expectedDenominator: number | null; collapse: boolean }
  | { state: "short_history"; observed: number; used: string[] }
  | {
      state: "judged";
      est: Estimate | RatioEstimate;
      fraction: Fraction | null;
      used: string[];
      excluded: Exclusion[];
      volume: number;
      judgement: Judgement;
    };

function estimateDay(ctx: MetricContext, m: MetricDef, d: string, t: Thresholds, spread: Spread, known: Map<string, ExclusionReason>): DayEstimate {
  const ev = ctx.cfg.evaluation;
  const small = ev.small_sample_correction;
  const candidates = lookbackOf(d, ev.weeks).filter((x) => ctx.totals.has(x));
  if (m.kind === "count") {
    const row = totalRow(ctx.totals.get(d), m.name);
    if (!row || row.value === null) return { state: "no_value", parts: false };
    const c = candidates.flatMap((x) => {
      const v = totalRow(ctx.totals.get(x), m.name)?.value;
      return v === null || v === undefined ? [] : [{ ds: x, value: v }];
    });
    const chosen = chooseCountBaseline(c, ev.weeks, known, spread.relSpread);
    if (chosen.used.length < ev.min_weeks) return { state: "short_history", observed: row.value, used: chosen.used.map((u) => u.ds) };
    const est = countEstimate(row.value, chosen.used.map((u) => u.value), { relativeSpread: spread.relSpread, smallSample: small, robust: true });
    est.z = exactCountZ(row.value, est);
    const collapse = exactCountZ(0, est);
    const used = chosen.used.map((u) => u.ds);
    return finishEstimate(est, null, used, withPartialDays(ctx, d, used, chosen.excluded), est.expected, collapse, t, failMargin(ctx, t));
  }
  const today = fractionOf(totalRow(ctx.totals.get(d), m.name));
  // No numerator/denominator stored: the day's aggregate cannot give them (e.g. an export without the daily_* levels
  // a distinct count needs), which is not the same as a zero denominator.
  if (!today) return { state: "no_value", parts: true };
  const c = candidates.flatMap((x) => {
    const f = fractionOf(totalRow(ctx.totals.get(x), m.name));
    return f && f.den > 0 ? [{ ds: x, value: f }] : [];
  });
  const chosen = chooseRatioBaseline(c, ev.weeks, known, spread.tau2);
  if (today.den <= 0) {
    const dens = chosen.used.map((u) => u.value.den).sort((a, b) => a - b);
    const expectedDen = dens.length ? dens[Math.floor(dens.length / 2)] : null;
    // Would a day without a single denominator event be significant on its own? Then it is a collapse, not low volume.
    const collapse = expectedDen !== null && exactCountZ(0, countEstimate(0, dens, { smallSample: small })) <= -t.sensitivity;
    return { state: "zero_denominator", expectedDenominator: expectedDen, collapse };
  }
  if (chosen.used.length < ev.min_weeks) return { state: "short_history", observed: today.num / today.den, used: chosen.used.map((u) => u.ds) };
  const est = ratioEstimate(today, chosen.used.map((u) => u.value), { relativeBetweenVariance: spread.tau2, smallSample: small, robust: true });
  est.z = exactRatioZ(today.num, today, est);
  const collapse = exactRatioZ(0, today, est);
  const used = chosen.used.map((u) => u.ds);
  return finishEstimate(est, today, used, withPartialDays(ctx, d, used, chosen.excluded), today.den, collapse, t, failMargin(ctx, t));
}

/** The chooser's exclusions, plus the partial days it passed over: newer than the oldest baseline day it used. */
function withPartialDays(ctx: MetricContext, d: string, used: string[], excluded: Exclusion[]): Exclusion[] {
  const oldest = used.reduce((min, u) => (u < min ? u : min), d);
  const partial = [...ctx.partialDays].filter((p) => p < d && p > oldest && weekday(p) === weekday(d));
  return [...excluded, ...partial.map((p): Exclusion => ({ ds: p, reason: "partial" }))];
}

function finishEstimate(est: Estimate, fraction: Fraction | null, used: string[], excluded: Exclusion[], volume: number, collapseZ: number, t: Thresholds, margin: number): DayEstimate {
  let judgement = judge(est.z, est.change, volume, t, margin);
  // Not judged when even a total collapse could not be significant (only a decline has a floor to collapse to).
  if (t.bad_direction === "decrease" && collapseZ > -t.sensitivity) judgement = "low_volume";
  return { state: "judged", est, fraction, used, excluded, volume, judgement };
}

const badSign = (t: Thresholds) => (t.bad_direction === "decrease" ? 1 : -1);

/** The harmless decline a whole-day fail must be significantly beyond (docs/verdicts.md, "When does a metric fail?"). */
const failMargin = (ctx: MetricContext, t: Thresholds) => ctx.cfg.evaluation.fail_margin * t.min_relative_change;

function sequentialParams(ctx: MetricContext, t: Thresholds): SequentialParams {
  const ev = ctx.cfg.evaluation;
  return { k: ev.cusum_k, h: ev.cusum_h, minChange: ev.sequential_min_change * t.min_relative_change, recoverZ: ev.recover_z, materialChange: t.min_relative_change };
}

function scoreOf(e: DayEstimate, ds: string, fail: boolean, marked: boolean, t: Thresholds): DayScore {
  if (e.state !== "judged" || e.judgement === "low_volume") return { ds, badZ: null, badChange: null, fail: false, marked };
  return { ds, badZ: badSign(t) * e.est.z, badChange: e.est.change === null ? null : badSign(t) * e.est.change, fail, marked };
}

/**
 * The days before today, oldest first, for a guardrail: each judged on its total, failures and marked days kept out
 * of the later days' baselines, and the CUSUM / failing state carried forward to today.
 */
function pastDays(ctx: MetricContext, m: MetricDef, t: Thresholds, spread: Spread): { carry: SequentialCarry; known: Map<string, ExclusionReason> } {
  const known = new Map<string, ExclusionReason>();
  for (const d of ctx.marks.keys()) known.set(d, "marked");
  let carry = INITIAL_STATE;
  const days = ctx.cfg.evaluation.sequential_days;
  if (!m.guardrail || days <= 0) return { carry, known };
  const p = sequentialParams(ctx, t);
  for (let i = days; i >= 1; i--) {
    const d = addDays(ctx.ds, -i);
    if (!ctx.totals.has(d)) continue;
    const marked = ctx.marks.has(d);
    const e = estimateDay(ctx, m, d, t, spread, known);
    const fail = !marked && e.state === "judged" && e.judgement === "fail";
    carry = stepSequential(carry, scoreOf(e, d, fail, marked, t), p);
    if (carry.failing && !marked) known.set(d, "failed");
  }
  return { carry, known };
}

function judgeMetric(ctx: MetricContext, m: MetricDef): JudgedVerdict {
  const { cfg, ds } = ctx;
  const t = thresholdsOf(cfg, m);
  const words = wordsOf(m, t, failMargin(ctx, t));
  const spread = spreadOf(ctx, m);
  const { carry, known } = pastDays(ctx, m, t, spread);
  const marked = ctx.marks.get(ds) ?? null;
  const e = estimateDay(ctx, m, ds, t, spread, known);
  const say = (f: VerdictFigures) => verdictSentence(words, f);

  if (e.state === "no_value") return emptyVerdict(m, "no_data", say({ reason: "no_value", ds, parts: e.parts }), "no_value");
  if (e.state === "short_history") {
    const v = emptyVerdict(
      m,
      "no_data",
      say({ reason: "short_history", ds, have: e.used.length, publishedBefore: ctx.publishedBefore, lookbackDays: ctx.lookbackDays, need: cfg.evaluation.min_weeks }),
      "short_history",
    );
    // Today's value and the history that exists are still reported: the verdict says what it has, not only what it lacks.
    return { ...v, observed: e.observed, baseline_days: e.used, no_baseline: true };
  }
  if (e.state === "zero_denominator") {
    // Zero where many were expected is more likely a broken day than a real one: no_data, which holds the gate.
    const kind: VerdictKind = e.collapse ? "no_data" : "pass";
    const v = emptyVerdict(m, kind, say({ reason: "zero_denominator", ds, expectedDenominator: e.expectedDenominator, verdict: kind }), "zero_denominator");
    return { ...v, numerator: 0, denominator: 0, ...(kind === "pass" ? { low_volume: true } : {}) };
  }

  const { est, used } = e;
  const j = e.judgement;
  let kind: VerdictKind = j === "low_volume" ? "pass" : j;
  let reason: VerdictReason = reasonOf(j, est, t);
  const sd = est.sd;
  const lower = Math.max(0, est.expected - t.sensitivity * sd);
  const upper = est.expected + t.sensitivity * sd;
  const declined = badSign(t) * est.z < 0;

  // A decline confined to one big segment is diluted in the total.
  let segment: SegmentFailure | null = null;
  if (m.kind === "ratio" && (j === "pass" || j === "warn") && declined) {
    segment = segmentRule(ctx, m, used, t, spread.tau2);
    if (segment) {
      kind = "fail";
      reason = "segment";
    }
  }

  // Within the day: a run of hours that fell (a decline only; guardrails only).
  let hourly: HourlyRun | null = null;
  if (m.guardrail && cfg.evaluation.hourly_scan && t.bad_direction === "decrease") {
    hourly = hourlyRule(ctx, m, used, t);
    // A run of hours explains a whole-day failure better than the day's total does, so it is named either way.
    if (hourly && (kind !== "fail" || reason === "single_day")) {
      kind = "fail";
      reason = "hourly";
    }
  }

  // Across days: accumulate, and stay failing until recovery shows.
  let sequential: Verdict["sequential"] = null;
  if (m.guardrail && cfg.evaluation.sequential_days > 0) {
    const s = stepSequential(carry, scoreOf(e, ds, kind === "fail", marked !== null, t), sequentialParams(ctx, t));
    sequential = { cusum: s.cusum, threshold: cfg.evaluation.cusum_h, days: s.runDays, change: s.runChange === null ? null : badSign(t) * s.runChange, failing_since: s.since };
    if (marked === null && kind !== "fail" && s.failing && s.cause !== null && s.cause !== "single_day") {
      kind = "fail";
      reason = s.cause;
    }
  }

  // Where it happened, for every fail and warn.
  let where: DimensionLocalisation | null = null;
  let localised: ReturnType<typeof localiseAll> = [];
  if (kind === "fail" || kind === "warn") {
    localised = localiseAll(ctx, m, used);
    where = bestDimension(localised);
  }

  // A whole-day failure that traffic moving between segments explains warns instead.
  let mixShift: Verdict["mix_shift"] = null;
  if (kind === "fail" && reason === "single_day" && m.kind === "ratio" && est.expected > 0) {
    mixShift = mixShiftOf(localised, est, t);
    if (mixShift) {
      kind = "warn";
      reason = "mix_shift";
    }
  }

  // A marked day never fails by itself.
  if (marked !== null && kind === "fail") {
    kind = "warn";
    reason = "marked";
  }

  const whereFigures: WhereFigures | null = where
    ? {
        dimension: where.dimension,
        rate: where.rate,
        mix: where.mix,
        score: where.score,
        top: where.segments[0]
          ? {
              value: where.segments[0].value,
              contribution: where.segments[0].contribution,
              change: where.segments[0].change,
              rateEffect: where.segments[0].rateEffect,
              mixEffect: where.segments[0].mixEffect,
              baseShare: where.segments[0].baseShare,
              todayShare: where.segments[0].todayShare,
            }
          : null,
      }
    : null;
  const message = say({
    reason,
    ds,
    verdict: kind,
    move: { observed: est.observed, expected: est.expected, change: est.change, z: est.z, marginZ: badSign(t) * zBeyondMargin(badSign(t) * est.z, est.change === null ? null : badSign(t) * est.change, failMargin(ctx, t)) },
    lower,
    upper,
    used,
    volume: e.volume,
    lowVolume: j === "low_volume",
    dayJudgement: j,
    segment: segment
      ? {
          dimension: segment.dimension,
          value: segment.value,
          share: segment.share,
          observed: segment.estimate.observed,
          expected: segment.estimate.expected,
          change: segment.estimate.change,
          z: segment.estimate.z,
          sensitivity: segment.sensitivity,
        }
      : null,
    where: whereFigures,
    hourly,
    sequential,
    mixShift,
    marked,
  });

  return {
    ...emptyVerdict(m, kind, message, reason),
    ...(e.fraction ? { numerator: e.fraction.num, denominator: e.fraction.den } : {}),
    observed: est.observed,
    expected: est.expected,
    lower,
    upper,
    change: est.change,
    z: est.z,
    baseline_days: used,
    segments: where ? where.segments.map(({ dimension, value, observed, expected, change, contribution }) => ({ dimension, value, observed, expected, change, contribution })) : [],
    decomposition: where ? { rate: where.rate, mix: where.mix, dimension: where.dimension } : null,
    excluded_days: e.excluded,
    hourly,
    sequential,
    marked,
    mix_shift: mixShift,
    power: m.guardrail ? powerOf(m.kind, est, e.fraction, t, cfg.evaluation) : null,
    ...(j === "low_volume" ? { low_volume: true } : {}),
  };
}

function reasonOf(j: Judgement, est: Estimate, t: Thresholds): VerdictReason {
  switch (j) {
    case "fail":
      return "single_day";
    case "low_volume":
      return "low_volume";
    case "warn":
      return est.change !== null && Math.abs(est.change) >= t.min_relative_change ? "not_significant" : "small_change_significant";
    case "pass": {
      const lower = est.expected - t.sensitivity * est.sd;
      const upper = est.expected + t.sensitivity * est.sd;
      if (est.observed >= lower && est.observed <= upper) return "within_range";
      return (t.bad_direction === "decrease") === est.observed > upper ? "harmless_direction" : "small_change";
    }
  }
}

/** One breakdown of a metric: today's rows and each used baseline day's rows, with every value seen. */
function breakdownRows(ctx: MetricContext, m: MetricDef, dim: string, usedDays: string[]) {
  const todaySeg = ctx.today.filter((r) => r.metric === m.name && r.dimension === dim);
  const baseSeg = ctx.base.filter((b) => usedDays.includes(b.ds)).map((b) => b.rows.filter((r) => r.metric === m.name && r.dimension === dim));
  const keys = new Set(todaySeg.map((r) => r.value_key));
  for (const day of baseSeg) for (const r of day) keys.add(r.value_key);
  const pick = (rows: MetricRow[], k: string) => rows.find((r) => r.value_key === k);
  return { todaySeg, baseSeg, keys: [...keys], pick };
}

const fractionOrZero = (r: MetricRow | undefined): Fraction => ({ num: r?.numerator ?? 0, den: r?.denominator ?? 0 });

function segmentRule(ctx: MetricContext, m: MetricDef, usedDays: string[], t: Thresholds, tau2: number | null): SegmentFailure | null {
  const series: SegmentSeries[] = [];
  for (const dim of m.breakdowns) {
    if (dim === VERSION_DIMENSION) continue;
    const { todaySeg, baseSeg, keys, pick } = breakdownRows(ctx, m, dim, usedDays);
    if (todaySeg.length === 0) continue;
    for (const k of keys) series.push({ dimension: dim, value: k, today: fractionOrZero(pick(todaySeg, k)), base: baseSeg.map((day) => fractionOrZero(pick(day, k))) });
  }
  return failingSegment(series, t, ctx.cfg.evaluation.min_weeks, ctx.cfg.evaluation.segment_min_share, tau2);
}

/** Every breakdown of the metric, judged over the same days as the total. */
function localiseAll(ctx: MetricContext, m: MetricDef, usedDays: string[]): DimensionLocalisation[] {
  const found: DimensionLocalisation[] = [];
  for (const dim of m.breakdowns) {
    if (dim === VERSION_DIMENSION) continue; // version mode judges versions on their own
    const { todaySeg, baseSeg, keys, pick } = breakdownRows(ctx, m, dim, usedDays);
    if (todaySeg.length === 0) continue;
    const l =
      m.kind === "ratio"
        ? localiseRatio(
            dim,
            keys.map((k) => ({
              value: k,
              today: fractionOrZero(pick(todaySeg, k)),
              base: baseSeg.map((day) => fractionOrZero(pick(day, k))).reduce((s, f) => ({ num: s.num + f.num, den: s.den + f.den }), { num: 0, den: 0 }),
            })),
          )
        : localiseCount(
            dim,
            keys.map((k) => ({
              value: k,
              today: pick(todaySeg, k)?.value ?? 0,
              base: baseSeg.reduce((s, day) => s + (pick(day, k)?.value ?? 0), 0) / Math.max(1, baseSeg.length),
            })),
          );
    if (l) found.push(l);
  }
  return found;
}

/** Share of a decline that mix shift must explain, in some breakdown, for the decline to be called a mix shift. */
const MIX_SHARE = 0.6;

/**
 * Mix shift (docs/verdicts.md): in some breakdown, traffic moving between segments explains most of the decline
 * and the rates inside the segments, held at today's mix, fell by less than the material change. Then the
 * decline is not a product regression, and the guardrail warns. The segment named is the one whose share moved
 * the total most.
 */
function mixShiftOf(found: DimensionLocalisation[], est: Estimate, t: Thresholds): Verdict["mix_shift"] {
  const total = est.observed - est.expected;
  let best: NonNullable<Verdict["mix_shift"]> | null = null;
  let bestMix = 0;
  for (const l of found) {
    const sum = l.rate + l.mix;
    if (sum === 0 || Math.sign(sum) !== Math.sign(total)) continue;
    if (l.mix / sum < MIX_SHARE) continue;
    const rateChange = l.rate / est.expected;
    if (badSign(t) * rateChange <= -t.min_relative_change / 2) continue;
    let top: (typeof l.segments)[number] | null = null;
    for (const s of l.segments) if (s.baseShare !== null && s.todayShare !== null && (!top || Math.abs(s.mixEffect) > Math.abs(top.mixEffect))) top = s;
    if (!top || top.baseShare === null || top.todayShare === null) continue;
    if (Math.abs(l.mix) > bestMix) {
      bestMix = Math.abs(l.mix);
      best = { dimension: l.dimension, value: top.value, base_share: top.baseShare, today_share: top.todayShare, rate_change: rateChange };
    }
  }
  return best;
}

/** The hourly series of a count metric (event counts only: distinct counts do not add up across hours). */
function hourlyCounts(m: CountMetricDef, byAction: Map<string, number[]>): number[] | null {
  if (m.measure !== "events") return null;
  const out = new Array<number>(24).fill(0);
  for (const [action, hours] of byAction) {
    if (m.actions !== "all" && !m.actions.includes(action)) continue;
    for (let h = 0; h < 24; h++) out[h] += hours[h];
  }
  return out;
}

function hourlyDay(ctx: MetricContext, m: MetricDef, ds: string): HourlyDay | null {
  const batch = ctx.batchOf(ds);
  if (batch === null) return null;
  if (!ctx.hourlyCache.has(batch)) ctx.hourlyCache.set(batch, hourlyActionEvents(ctx.db, [batch]).get(batch) ?? null);
  const byAction = ctx.hourlyCache.get(batch);
  if (!byAction) return null;
  const count = (name: string) => {
    const def = ctx.cfg.metrics.find((x) => x.name === name);
    return def && def.kind === "count" ? hourlyCounts(def, byAction) : null;
  };
  if (m.kind === "count") {
    const num = hourlyCounts(m, byAction);
    return num ? { num, den: null } : null;
  }
  const num = count(m.numerator);
  const den = count(m.denominator);
  return num && den ? { num, den } : null;
}

function hourlyRule(ctx: MetricContext, m: MetricDef, usedDays: string[], t: Thresholds): HourlyRun | null {
  const today = hourlyDay(ctx, m, ctx.ds);
  if (!today) return null;
  // A DST day's hours last 0, 1 or 2 real hours: each baseline day is put on today's clock (docs/ingest.md, "Time zones").
  const todayLen = dayClock(ctx.ds, ctx.cfg.timezone).hourLengths;
  const onTodaysClock = (d: string, x: HourlyDay): HourlyDay => {
    const len = dayClock(d, ctx.cfg.timezone).hourLengths;
    if (len.every((l, h) => l === todayLen[h])) return x;
    // An hour the baseline day lacked: zero for a ratio's sums (it adds nothing), unknown (NaN) for a count's average.
    const scale = (v: number[], missing: number) => v.map((n, h) => (len[h] > 0 ? (n * todayLen[h]) / len[h] : todayLen[h] > 0 ? missing : 0));
    return x.den ? { num: scale(x.num, 0), den: scale(x.den, 0) } : { num: scale(x.num, NaN), den: null };
  };
  const base = usedDays.flatMap((d) => {
    const x = hourlyDay(ctx, m, d);
    return x ? [onTodaysClock(d, x)] : [];
  });
  if (base.length < ctx.cfg.evaluation.min_weeks) return null;
  return scanHours(today, base, t.sensitivity, ctx.cfg.evaluation.hourly_min_drop);
}
