/**
 * Judging one day: every configured metric against the same weekday of the
 * previous published weeks, verdicts with their numbers and a sentence,
 * localisation of what declined, and version mode.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { MetricDef } from "../config/schema.js";
import type { Evaluation, Verdict, VerdictKind, VersionVerdict } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { addDays, epochMsToDs, hoursSinceDayEnd, isValidDs, weekday, WEEKDAY_NAMES, DS_BOUNDS } from "../shared/dates.js";
import { dayStates, latestAttemptedDay, metricRowsByBatch, metricTotalsByBatch, type DayState, type MetricRow } from "./days.js";
import { latestPublishedDs } from "../store/partitions.js";
import { countRelativeSpread, ratioRelativeBetweenVariance, type RatioPair } from "./spread.js";
import { countEstimate, judge, ratioEstimate, type Estimate, type Fraction, type Judgement, type Thresholds } from "./stats.js";
import { bestDimension, localiseCount, localiseRatio, type DimensionLocalisation } from "./localise.js";
import { versionVerdicts, VERSION_DIMENSION } from "./versions.js";
import { failingSegment, type SegmentFailure, type SegmentSeries } from "./segments.js";
import { dimensionWord, fmtCount, fmtPct, fmtSigned, fmtValue, fmtWeekdays } from "../present/format.js";

const DAY_MS = 86_400_000;

export interface EvaluateOptions {
  /** Day to judge; default: the newest day with a published or audit-rejected export. */
  ds?: string;
  /** Clock for freshness (tests, backtest). */
  now?: Date;
  /** Store the evaluation in history (default true). */
  persist?: boolean;
  /** Metric values per batch id, shared between the days of a backtest. */
  cache?: Map<number, MetricRow[]>;
  /** Day totals per batch id (the spread window), shared between the days of a backtest. */
  totalsCache?: Map<number, MetricRow[]>;
}

/** Why the day could (not) be judged; added to the evaluate JSON as `data`. */
export interface DataState {
  state: "published" | "missing" | "staged" | "rejected" | "stale";
  /** Newest published day of the dataset, if any. */
  latest_published: string | null;
  /** Hours between the end of latest_published and `now`. */
  age_hours: number | null;
  /** Error checks that failed, for a rejected day. */
  failed_checks?: string[];
  message: string;
}

/** A verdict as judged here; `low_volume` (added to the JSON) marks a pass that was not judged for lack of volume. */
export interface JudgedVerdict extends Verdict {
  low_volume?: boolean;
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
  const now = opts.now ?? new Date();
  const ev = cfg.evaluation;
  if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${opts.ds}".`);
  const ds = opts.ds ?? latestAttemptedDay(db, cfg.name) ?? epochMsToDs(now.getTime() - DAY_MS);

  const lookback = Array.from({ length: 2 * ev.weeks }, (_, i) => addDays(ds, -7 * (i + 1)));
  // The spread window: every day of the last spread_weeks weeks, each paired with the same weekday a week earlier.
  const windowDays = ev.spread_weeks > 0 ? Array.from({ length: 7 * ev.spread_weeks + 7 }, (_, i) => addDays(ds, -(i + 1))) : [];
  const states = dayStates(db, cfg.name, [...new Set([ds, ...lookback, ...windowDays])]);
  const data = dataState(db, cfg, ds, states.get(ds)!, now);
  const publishedBefore = lookback.filter((d) => states.get(d)!.state === "published");
  // Every published same weekday of the look-back: each metric takes the newest `weeks` of them that have a value for it.
  const baselineDays = publishedBefore;

  let verdicts: JudgedVerdict[];
  let versions: VersionVerdict[] = [];
  if (data.state !== "published") {
    const kind: VerdictKind = data.state === "rejected" ? "inconclusive" : "no_data";
    verdicts = cfg.metrics.map((m) => emptyVerdict(m, kind, data.message));
  } else {
    const batchOf = (d: string) => (states.get(d) as Extract<DayState, { state: "published" }>).batchId;
    const rows = loadRows(db, [ds, ...baselineDays].map(batchOf), opts.cache);
    const today = rows.get(batchOf(ds))!;
    const base = baselineDays.map((d) => ({ ds: d, rows: rows.get(batchOf(d))! }));
    const window = spreadWindow(db, windowDays, states, opts.totalsCache);
    const ctx: MetricContext = { cfg, ds, today, base, window, lookbackDays: lookback.length, publishedBefore: publishedBefore.length };
    verdicts = cfg.metrics.map((m) => judgeMetric(ctx, m));
    for (const m of cfg.metrics) {
      if (m.kind === "ratio" && m.guardrail) versions.push(...versionVerdicts(m, today, thresholdsOf(cfg, m), ev.version_min_denominator));
    }
  }

  const enforced = verdicts.filter((v) => v.guardrail && v.enforced !== false);
  const fallback: VerdictKind = data.state === "published" ? "pass" : data.state === "rejected" ? "inconclusive" : "no_data";
  const status = worst(enforced.map((v) => v.verdict), fallback);
  return { ds, dataset: cfg.name, status, verdicts, versions, summary: summarise(ds, status, enforced, versions, data), data };
}

function loadRows(db: DB, batchIds: number[], cache?: Map<number, MetricRow[]>): Map<number, MetricRow[]> {
  const missing = batchIds.filter((id) => !cache?.has(id));
  const loaded = metricRowsByBatch(db, missing);
  if (cache) for (const [id, rows] of loaded) cache.set(id, rows);
  return new Map(batchIds.map((id) => [id, cache?.get(id) ?? loaded.get(id)!]));
}

/** Week-over-week pairs of day totals inside the spread window: [day t, day t − 7], both published. */
type TotalsByDay = Map<string, MetricRow[]>;
interface SpreadWindow {
  pairs: [MetricRow[], MetricRow[]][];
}

function spreadWindow(db: DB, windowDays: string[], states: Map<string, DayState>, cache?: Map<number, MetricRow[]>): SpreadWindow {
  const published = windowDays.filter((d) => states.get(d)?.state === "published");
  const batchOf = (d: string) => (states.get(d) as Extract<DayState, { state: "published" }>).batchId;
  const missing = published.map(batchOf).filter((id) => !cache?.has(id));
  const loaded = metricTotalsByBatch(db, missing);
  if (cache) for (const [id, rows] of loaded) cache.set(id, rows);
  const totals: TotalsByDay = new Map(published.map((d) => [d, cache?.get(batchOf(d)) ?? loaded.get(batchOf(d))!]));
  const pairs: SpreadWindow["pairs"] = [];
  // windowDays is 7·W + 7 days long; only the newest 7·W can have a partner a week earlier inside it.
  for (const d of windowDays.slice(0, windowDays.length - 7)) {
    const a = totals.get(d);
    const b = totals.get(addDays(d, -7));
    if (a && b) pairs.push([a, b]);
  }
  return { pairs };
}

function dataState(db: DB, cfg: DatasetConfig, ds: string, state: DayState, now: Date): DataState {
  const latest = latestPublishedDs(db, cfg.name);
  const age = latest === null ? null : hoursSinceDayEnd(latest, now);
  const base = { latest_published: latest, age_hours: age === null ? null : Math.round(age * 10) / 10 };
  const hint = latest ? ` (newest published day: ${latest})` : " (nothing is published for this dataset yet)";
  switch (state.state) {
    case "rejected":
      return {
        ...base,
        state: "rejected",
        failed_checks: state.failedChecks,
        message: `The export for ${ds} failed its audit${state.failedChecks.length ? ` (${state.failedChecks.join(", ")})` : ""} and was not published, so nothing can be judged.`,
      };
    case "staged":
      return { ...base, state: "staged", message: `The export for ${ds} is still being loaded; nothing is published for that day yet.` };
    case "missing":
      return { ...base, state: "missing", message: `No export for ${ds} has been published${hint}.` };
    case "published":
      // Only the newest day can be stale: an older day is history, judged on its own data.
      if (latest === ds && age !== null && age > cfg.evaluation.freshness_hours)
        return {
          ...base,
          state: "stale",
          message: `The data is stale: the newest published day, ${ds}, ended ${Math.round(age)} h ago (freshness window ${cfg.evaluation.freshness_hours} h).`,
        };
      return { ...base, state: "published", message: `The export for ${ds} is published.` };
  }
}

function emptyVerdict(m: MetricDef, kind: VerdictKind, message: string): Verdict {
  return {
    metric: m.name,
    guardrail: m.guardrail,
    enforced: m.enforce,
    kind: m.kind,
    verdict: kind,
    observed: null,
    expected: null,
    lower: null,
    upper: null,
    change: null,
    z: null,
    baseline_days: [],
    message: `${m.name}: ${message}`,
    segments: [],
    decomposition: null,
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

interface MetricContext {
  cfg: DatasetConfig;
  ds: string;
  today: MetricRow[];
  /** Every published same weekday of the look-back, newest first (a metric uses the newest `weeks` with a value). */
  base: { ds: string; rows: MetricRow[] }[];
  window: SpreadWindow;
  lookbackDays: number;
  publishedBefore: number;
}

function totalRow(rows: MetricRow[], metric: string): MetricRow | undefined {
  return rows.find((r) => r.metric === metric && r.dimension === "" && r.value_key === "");
}

function fractionOf(r: MetricRow | undefined): Fraction | null {
  if (!r || r.numerator === null || r.denominator === null) return null;
  return { num: r.numerator, den: r.denominator };
}

function judgeMetric(ctx: MetricContext, m: MetricDef): JudgedVerdict {
  const { cfg, ds } = ctx;
  const t = thresholdsOf(cfg, m);
  const verdict = (kind: VerdictKind, message: string, extra: Partial<JudgedVerdict> = {}): JudgedVerdict => ({
    ...emptyVerdict(m, kind, ""),
    ...extra,
    message: m.guardrail && !m.enforce ? `${message} (report-only: enforce is false)` : message,
  });
  const shortHistory = (usable: { ds: string }[], observed: number | null) => {
    const n = usable.length;
    const days = `${ctx.lookbackDays} ${WEEKDAY_NAMES[weekday(ds)]}s`;
    const have =
      n === ctx.publishedBefore
        ? `only ${n} of the previous ${days} ${n === 1 ? "is" : "are"} published`
        : `only ${n} of the previous ${days} have a value for it`;
    // Today's value and the history that exists are still reported: the verdict says what it has, not only what it lacks.
    return verdict("no_data", `${m.name} has too little history to judge: ${have} (need ${cfg.evaluation.min_weeks}).`, {
      observed,
      baseline_days: usable.map((b) => b.ds),
    });
  };

  let est: Estimate;
  let used: string[];
  let volume: number;
  let extra: Partial<Verdict> = {};
  if (m.kind === "count") {
    const todayRow = totalRow(ctx.today, m.name);
    if (!todayRow || todayRow.value === null) return verdict("no_data", `${m.name} has no value on ${ds}.`);
    const base = ctx.base
      .map((b) => ({ ds: b.ds, v: totalRow(b.rows, m.name)?.value ?? null }))
      .filter((b) => b.v !== null)
      .slice(0, cfg.evaluation.weeks);
    if (base.length < cfg.evaluation.min_weeks) return shortHistory(base, todayRow.value);
    const pairs = ctx.window.pairs.map(([a, b]) => [totalRow(a, m.name)?.value ?? 0, totalRow(b, m.name)?.value ?? 0] as [number, number]);
    est = countEstimate(todayRow.value, base.map((b) => b.v!), { relativeSpread: countRelativeSpread(pairs), smallSample: cfg.evaluation.small_sample_correction });
    used = base.map((b) => b.ds);
    volume = est.expected;
  } else {
    const today = fractionOf(totalRow(ctx.today, m.name));
    // No numerator/denominator stored: the day's aggregate cannot give them (e.g. an export without the daily_* levels
    // a distinct count needs), which is not the same as a zero denominator.
    if (!today) return verdict("no_data", `${m.name} has no value on ${ds}: ${m.numerator} / ${m.denominator} could not be computed from that day's aggregate.`);
    if (today.den <= 0) return verdict("no_data", `${m.name} is undefined on ${ds}: its denominator ${m.denominator} is 0.`);
    const base = ctx.base
      .map((b) => ({ ds: b.ds, f: fractionOf(totalRow(b.rows, m.name)) }))
      .filter((b) => b.f !== null && b.f.den > 0)
      .slice(0, cfg.evaluation.weeks);
    if (base.length < cfg.evaluation.min_weeks) return shortHistory(base, today.num / today.den);
    const fractions = base.map((b) => b.f!);
    const pooled = fractions.reduce((s, f) => s + f.num, 0) / fractions.reduce((s, f) => s + f.den, 0);
    const pairs: RatioPair[] = [];
    for (const [a, b] of ctx.window.pairs) {
      const fa = fractionOf(totalRow(a, m.name));
      const fb = fractionOf(totalRow(b, m.name));
      if (fa && fb) pairs.push({ today: fa, before: fb });
    }
    est = ratioEstimate(today, fractions, { relativeBetweenVariance: ratioRelativeBetweenVariance(pairs, pooled), smallSample: cfg.evaluation.small_sample_correction });
    used = base.map((b) => b.ds);
    volume = today.den;
    extra = { numerator: today.num, denominator: today.den };
  }

  const j = judge(est.z, est.change, volume, t);
  let kind: VerdictKind = j === "low_volume" ? "pass" : j;
  const lower = Math.max(0, est.expected - t.sensitivity * est.sd);
  const upper = est.expected + t.sensitivity * est.sd;
  let message = `${m.name} ${describeMove(est, m.kind)} vs ${fmtWeekdays(used, ds)}`;
  const declined = (t.bad_direction === "decrease" ? est.z : -est.z) < 0;
  const segment = m.kind === "ratio" && (j === "pass" || j === "warn") && declined ? segmentRule(ctx, m, used, t) : null;
  if (segment) {
    kind = "fail";
    const e = segment.estimate;
    message += `; ${dimensionWord(segment.dimension)} ${segment.value} (${fmtPct(segment.share)} of ${m.kind === "ratio" ? m.denominator : "it"}) ${
      (e.change ?? 0) < 0 ? "fell" : "rose"
    } ${fmtPct(e.change ?? 0)} to ${fmtValue(e.observed, "ratio")} (expected ${fmtValue(e.expected, "ratio")}, z = ${fmtSigned(e.z)}, past ${fmtSigned(
      t.bad_direction === "decrease" ? -segment.sensitivity : segment.sensitivity,
    )}, the bar for one big segment)`;
  } else {
    message += tail(j, est, t, volume, m, lower, upper);
  }
  let segments: Verdict["segments"] = [];
  let decomposition: Verdict["decomposition"] = null;
  if (kind === "fail" || kind === "warn") {
    const where = localise(ctx, m, used);
    if (where) {
      segments = where.segments.map(({ dimension, value, observed, expected, change, contribution }) => ({ dimension, value, observed, expected, change, contribution }));
      decomposition = { rate: where.rate, mix: where.mix, dimension: where.dimension };
      const top = where.segments[0];
      // The segment rule already named the segment; repeat it only if the localisation points elsewhere.
      if (!segment || !top || top.dimension !== segment.dimension || top.value !== segment.value) message += `; ${whereSentence(where, m.kind)}`;
    }
  }
  return verdict(kind, message + ".", {
    ...extra,
    observed: est.observed,
    expected: est.expected,
    lower,
    upper,
    change: est.change,
    z: est.z,
    baseline_days: used,
    segments,
    decomposition,
    ...(j === "low_volume" ? { low_volume: true } : {}),
  });
}

function describeMove(est: Estimate, kind: "count" | "ratio"): string {
  const obs = fmtValue(est.observed, kind);
  const exp = fmtValue(est.expected, kind);
  const z = `z = ${fmtSigned(est.z)}`;
  if (est.change === null || Math.abs(est.change) < 0.0005) return `is ${obs} (expected ${exp}, ${z})`;
  return `${est.change < 0 ? "fell" : "rose"} ${fmtPct(est.change)} to ${obs} (expected ${exp}, ${z})`;
}

function tail(j: Judgement, est: Estimate, t: Thresholds, volume: number, m: MetricDef, lower: number, upper: number): string {
  const volumeWord = m.kind === "ratio" ? `the volume, ${fmtCount(volume)} ${m.denominator},` : `the expected volume, ${fmtCount(volume)},`;
  const range = `${fmtValue(lower, m.kind)} – ${fmtValue(upper, m.kind)}`;
  switch (j) {
    case "low_volume":
      return `; not judged: ${volumeWord} is below the minimum of ${fmtCount(t.min_denominator)}`;
    case "fail":
      return `; ${est.observed < lower ? "below" : "above"} its normal range of ${range} and beyond the ${fmtPct(t.min_relative_change)} change that fails`;
    case "warn": {
      const material = est.change !== null && Math.abs(est.change) >= t.min_relative_change;
      return material
        ? `; a material change, but not yet significant (|z| < ${t.sensitivity})`
        : `; significant, but smaller than the ${fmtPct(t.min_relative_change)} that fails`;
    }
    case "pass":
      if (est.observed >= lower && est.observed <= upper) return `; within its normal range of ${range}`;
      // Outside the range only in the harmless direction (or by a change too small to matter).
      return `; ${est.observed < lower ? "below" : "above"} its normal range of ${range}, ${
        (t.bad_direction === "decrease") === est.observed > upper ? "a harmless direction for this metric" : "but by less than the change that matters"
      }`;
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

function segmentRule(ctx: MetricContext, m: MetricDef, usedDays: string[], t: Thresholds): SegmentFailure | null {
  const series: SegmentSeries[] = [];
  for (const dim of m.breakdowns) {
    if (dim === VERSION_DIMENSION) continue;
    const { todaySeg, baseSeg, keys, pick } = breakdownRows(ctx, m, dim, usedDays);
    if (todaySeg.length === 0) continue;
    for (const k of keys) series.push({ dimension: dim, value: k, today: fractionOrZero(pick(todaySeg, k)), base: baseSeg.map((day) => fractionOrZero(pick(day, k))) });
  }
  return failingSegment(series, t, ctx.cfg.evaluation.min_weeks, ctx.cfg.evaluation.segment_min_share);
}

/** Every breakdown of the metric, judged over the same days as the total; the best-explaining one. */
function localise(ctx: MetricContext, m: MetricDef, usedDays: string[]): DimensionLocalisation | null {
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
  return bestDimension(found);
}

/** Below this deviation (z units) no segment departs from the total's trend: the change is "spread across segments". */
const LOCALISED_Z = 3;

function whereSentence(l: DimensionLocalisation, kind: "count" | "ratio"): string {
  const top = l.segments[0];
  const word = dimensionWord(l.dimension);
  const total = l.rate + l.mix;
  const moved = total < 0 ? "drop" : "rise";
  if (!top) return `no breakdown explains the ${moved}`;
  if (l.score < LOCALISED_Z)
    return `the ${moved} is spread across segments (largest: ${word} ${top.value}, ${fmtPct(top.contribution)} of it)`;
  // Above 100 %: the other segments moved the other way a little.
  const share = top.contribution >= 1 ? `all of the ${moved} is on ${word} ${top.value}` : `${fmtPct(top.contribution)} of the ${moved} is on ${word} ${top.value}`;
  let sentence: string;
  if (kind === "ratio" && Math.abs(top.mixEffect) > Math.abs(top.rateEffect) && top.baseShare !== null && top.todayShare !== null) {
    sentence = `${share}, a mix shift: its share of ${word === "version" ? "traffic" : "the traffic"} went from ${fmtPct(top.baseShare)} to ${fmtPct(top.todayShare)} while its rate ${top.change !== null && Math.abs(top.change) >= 0.05 ? `${top.change < 0 ? "fell" : "rose"} only ${fmtPct(top.change)}` : "held"}`;
  } else if (top.change !== null && top.change !== 0) {
    sentence = `${share}, where it ${top.change < 0 ? "fell" : "rose"} ${fmtPct(top.change)}`;
  } else {
    sentence = share;
  }
  if (kind === "ratio" && total !== 0 && Math.abs(l.mix / total) >= 0.5) sentence += ` (${fmtPct(l.mix / total)} of the change overall is mix shift, not rate)`;
  return sentence;
}

function summarise(ds: string, status: VerdictKind, enforced: Verdict[], versions: VersionVerdict[], data: DataState): string {
  const culprits = versions.filter((v) => v.verdict === "fail");
  const culpritText = culprits.length
    ? ` Version ${[...new Set(culprits.map((c) => c.version))].join(", ")} declines against the rest of the traffic: ${culprits
        .map((c) => `${c.metric} ${fmtPct(c.change ?? 0)} lower (z = ${fmtSigned(c.z ?? 0)})`)
        .join("; ")}.`
    : "";
  if (data.state !== "published") return data.message + culpritText;
  const pick = (k: VerdictKind) => enforced.filter((v) => v.verdict === k);
  switch (status) {
    case "fail":
      return pick("fail").map((v) => v.message).join(" ") + culpritText;
    case "inconclusive":
    case "no_data":
      return pick(status).map((v) => v.message).join(" ") + culpritText;
    case "warn":
      return `No guardrail fails on ${ds}; warnings: ${pick("warn").map((v) => v.message).join(" ")}${culpritText}`;
    default:
      return (enforced.length
        ? enforced.length === 1
          ? `The enforced guardrail ${enforced[0].metric} is within its normal range on ${ds}.`
          : `All ${enforced.length} enforced guardrails are within their normal range on ${ds}.`
        : `No enforced guardrail is configured; ${ds} is reported only.`) + culpritText;
  }
}
