/**
 * A baseline band for days that have no stored evaluation (e.g. history
 * loaded before the service ran). Same method as docs/verdicts.md, simplified to the
 * day's total: the same weekday of the previous published weeks; counts use
 * median ± sensitivity·max(1.4826·MAD, √median), ratios the pooled rate ±
 * sensitivity·sd (binomial at today's denominator plus between-day variance).
 */
import { median, medianAbsoluteDeviation, variance } from "simple-statistics";
import { addDays } from "../shared/dates.js";
import type { MetricDayRow } from "../store/dashboard.js";

/** A day's value with the parts of a ratio, as the store keeps it. */
export type DayValue = MetricDayRow;

export interface Band {
  expected: number;
  lower: number;
  upper: number;
}

export interface BandParams {
  kind: "count" | "ratio";
  weeks: number;
  minWeeks: number;
  sensitivity: number;
}

/** `notBaseline`: days that are never a baseline day (partial days, docs/ingest.md "Partial days"). */
export function computedBand(byDs: Map<string, DayValue>, ds: string, p: BandParams, notBaseline?: ReadonlySet<string>): Band | null {
  const base: DayValue[] = [];
  // Look back twice as far as needed so a missing week does not shrink the baseline.
  for (let w = 1; w <= p.weeks * 2 && base.length < p.weeks; w++) {
    const day = addDays(ds, -7 * w);
    const v = notBaseline?.has(day) ? undefined : byDs.get(day);
    if (v && v.value !== null) base.push(v);
  }
  return bandFrom(base, byDs.get(ds)?.denominator ?? null, p);
}

/**
 * The band of one value from its baseline values (days, or the same hour of
 * the baseline days). `denominator` is today's, for the binomial part of a
 * ratio's spread; without it the baseline's mean denominator is used.
 */
export function bandFrom(base: DayValue[], denominator: number | null, p: BandParams): Band | null {
  const known = base.filter((b) => b.value !== null);
  if (known.length < p.minWeeks) return null;
  if (p.kind === "count") {
    const values = known.map((b) => b.value!);
    const expected = median(values);
    const spread = Math.max(1.4826 * medianAbsoluteDeviation(values), Math.sqrt(Math.max(expected, 0)));
    return { expected, lower: Math.max(0, expected - p.sensitivity * spread), upper: expected + p.sensitivity * spread };
  }
  const withDen = known.filter((b) => (b.denominator ?? 0) > 0 && b.numerator !== null);
  if (withDen.length < p.minWeeks) return null;
  const num = withDen.reduce((s, b) => s + b.numerator!, 0);
  const den = withDen.reduce((s, b) => s + b.denominator!, 0);
  const p0 = num / den;
  const rates = withDen.map((b) => b.numerator! / b.denominator!);
  const binomialNoise = withDen.reduce((s, b) => s + (p0 * (1 - p0)) / b.denominator!, 0) / withDen.length;
  const betweenDays = rates.length > 1 ? Math.max(0, variance(rates) - binomialNoise) : 0;
  const today = denominator ?? den / withDen.length;
  const sd = Math.sqrt((p0 * (1 - p0)) / Math.max(today, 1) + betweenDays);
  return { expected: p0, lower: Math.max(0, p0 - p.sensitivity * sd), upper: Math.min(1, p0 + p.sensitivity * sd) };
}
