/**
 * The statistics of docs/verdicts.md, pure and small so they can be tested on exact
 * numbers. Counts: median, MAD and a Poisson floor. Ratios: pooled baseline
 * proportion, binomial variance at today's denominator plus the between-day
 * variance the baseline actually shows.
 *
 * Added to those formulas (see spread.ts for why): a floor from the ordinary
 * week-over-week movement over a longer window, and small-sample corrections
 * (MAD's finite-sample factor; the baseline's own estimation error).
 */
import { median, medianAbsoluteDeviation, sampleVariance, mean } from "simple-statistics";
import { MAD_TO_SD, madCorrection, medianPredictionFactor } from "./spread.js";
import { betaBinomialCdf, EXACT_LIMIT, exactZ, negativeBinomialCdf } from "./tails.js";

/** What the evaluator adds to the docs/verdicts.md spread. Without it (`{ smallSample: false }`) the formulas are those of docs/verdicts.md exactly. */
export interface SpreadOptions {
  /** Counts: relative day-to-day sd from the longer window (spread.ts); a floor under the spread. */
  relativeSpread?: number | null;
  /** Ratios: relative between-day variance τ² from the longer window; a floor under the baseline's own. */
  relativeBetweenVariance?: number | null;
  /** Small-sample corrections (default true). */
  smallSample?: boolean;
  /**
   * Robust baseline (docs/verdicts.md): when the longer window gives a spread, it IS the spread, instead of a
   * floor under the baseline's own. Four baseline days with one unusual day among them would otherwise widen
   * the band several-fold; 50-odd week-over-week pairs summarised by their MAD do not move.
   */
  robust?: boolean;
}

export interface Estimate {
  observed: number;
  expected: number;
  /** Standard deviation the observation is judged against. */
  sd: number;
  z: number;
  /** (observed − expected)/expected; null when expected is 0. */
  change: number | null;
}

export function relativeChange(observed: number, expected: number): number | null {
  return expected === 0 ? null : (observed - expected) / expected;
}

/**
 * A count against the same weekday of previous weeks. The √expected floor is
 * the Poisson noise a count has anyway: on a flat series MAD is 0 and a
 * MAD-only z-score would call every wiggle an anomaly. The floor is at least 1
 * so that a zero baseline still gives a finite z. The long-window relative
 * spread × expected is a third floor; with `smallSample`, MAD gets its
 * finite-sample factor and the whole spread the median's own error.
 */
export function countEstimate(observed: number, baseline: number[], opts: SpreadOptions = {}): Estimate {
  if (baseline.length === 0) throw new Error("countEstimate needs at least one baseline value");
  const small = opts.smallSample ?? true;
  const n = baseline.length;
  const expected = median(baseline);
  const mad = n > 1 && !(opts.robust && opts.relativeSpread) ? medianAbsoluteDeviation(baseline) : 0;
  const madSd = MAD_TO_SD * (small ? madCorrection(n) : 1) * mad;
  const longSd = opts.relativeSpread ? Math.max(expected, 0) * opts.relativeSpread : 0;
  const sd = Math.max(madSd, Math.sqrt(Math.max(expected, 1)), longSd) * (small ? medianPredictionFactor(n) : 1);
  return { observed, expected, sd, z: (observed - expected) / sd, change: relativeChange(observed, expected) };
}

/**
 * Sampling variance of a rate over n trials. Rates above 1 (e.g. purchases per
 * signup when one signup buys twice) behave like Poisson counts: p/n.
 */
export function rateVariance(p: number, n: number): number {
  if (n <= 0) return 0;
  return (p <= 1 ? p * (1 - p) : p) / n;
}

export interface Fraction {
  num: number;
  den: number;
}

export interface RatioEstimate extends Estimate {
  /** Binomial part of the variance at today's denominator. */
  samplingVariance: number;
  /** Day-to-day variance of the rates beyond their own binomial noise (≥ 0): the baseline's, or the longer window's if larger. */
  betweenDayVariance: number;
  /** Variance of the pooled baseline proportion itself (0 without small-sample corrections). */
  baselineVariance: number;
}

/**
 * A ratio against the pooled proportion of its baseline days. Baseline days
 * with a zero denominator carry no information and are ignored by the caller.
 * The variance uses a lightly smoothed proportion ((Σnum+½)/(Σden+1)) so that a
 * baseline of exactly 0 % or 100 % still has a non-zero spread.
 */
export function ratioEstimate(today: Fraction, baseline: Fraction[], opts: SpreadOptions = {}): RatioEstimate {
  const days = baseline.filter((b) => b.den > 0);
  const sumNum = days.reduce((s, b) => s + b.num, 0);
  const sumDen = days.reduce((s, b) => s + b.den, 0);
  if (sumDen <= 0 || today.den <= 0) throw new Error("ratioEstimate needs positive denominators");
  const expected = sumNum / sumDen;
  const pVar = (sumNum + 0.5) / (sumDen + 1);
  const samplingVariance = rateVariance(pVar, today.den);
  let betweenDayVariance = 0;
  const fromWindow = opts.robust === true && opts.relativeBetweenVariance !== null && opts.relativeBetweenVariance !== undefined;
  if (days.length >= 2 && !fromWindow) {
    const rates = days.map((b) => b.num / b.den);
    // What the baseline rates vary by, minus what their own sample sizes explain.
    const ownNoise = mean(days.map((b) => rateVariance(pVar, b.den)));
    betweenDayVariance = Math.max(0, sampleVariance(rates) - ownNoise);
  }
  // Four baseline rates often vary less than usual by chance; the longer window's τ² is a floor.
  if (opts.relativeBetweenVariance) betweenDayVariance = Math.max(betweenDayVariance, opts.relativeBetweenVariance * expected * expected);
  // The pooled proportion is an estimate too: its binomial error plus the day-to-day part averaged over n days.
  const baselineVariance = opts.smallSample ?? true ? rateVariance(pVar, sumDen) + betweenDayVariance / days.length : 0;
  const sd = Math.sqrt(samplingVariance + betweenDayVariance + baselineVariance);
  const observed = today.num / today.den;
  return {
    observed,
    expected,
    sd,
    z: (observed - expected) / sd,
    change: relativeChange(observed, expected),
    samplingVariance,
    betweenDayVariance,
    baselineVariance,
  };
}

/**
 * The z of a ratio's numerator under its exact distribution (tails.ts): today's
 * denominator draws from a rate that is itself uncertain by the between-day and
 * baseline variance (beta-binomial; negative binomial for rates above 1).
 * Past EXACT_LIMIT expected events, the normal z of the estimate.
 */
export function exactRatioZ(numerator: number, today: Fraction, est: RatioEstimate): number {
  const n = today.den;
  const p = est.expected;
  if (n <= 0) return 0;
  if (n * p > EXACT_LIMIT) return (numerator / n - p) / est.sd;
  const v = est.betweenDayVariance + est.baselineVariance;
  if (p > 1) return exactZ(numerator, n * p, (k) => negativeBinomialCdf(k, n * p, n * p + n * n * v));
  return exactZ(numerator, n * p, (k) => betaBinomialCdf(k, n, p, v));
}

/** The z of a count under a negative binomial with the estimate's mean and variance (Poisson when no wider). */
export function exactCountZ(observed: number, est: Estimate): number {
  const mean = est.expected;
  if (mean > EXACT_LIMIT) return (observed - mean) / est.sd;
  return exactZ(observed, mean, (k) => negativeBinomialCdf(k, mean, Math.max(mean, est.sd * est.sd)));
}

/** Pooled two-proportion z-test of a against b (positive z: a is higher). */
export function twoProportionZ(a: Fraction, b: Fraction): { pa: number; pb: number; z: number } {
  const pa = a.num / a.den;
  const pb = b.num / b.den;
  const pooled = (a.num + b.num + 0.5) / (a.den + b.den + 1);
  const se = Math.sqrt(rateVariance(pooled, 1) * (1 / a.den + 1 / b.den));
  return { pa, pb, z: se > 0 ? (pa - pb) / se : 0 };
}

export interface Thresholds {
  sensitivity: number;
  warn_sensitivity: number;
  min_relative_change: number;
  min_denominator: number;
  bad_direction: "decrease" | "increase";
}

export type Judgement =
  /** Significant, material, enough volume, in the bad direction. */
  | "fail"
  /** Material and suggestive (z past warn_sensitivity), or significant but small. */
  | "warn"
  | "pass"
  /** Not judged, reported as pass: below min_denominator, or too few events for even a total collapse to be significant. */
  | "low_volume";

/**
 * The day's z measured from a harmless decline of `margin` (a fraction) instead of from the expectation, both
 * with the bad direction negative: a decline c beyond the margin gives z · (c + margin)/c — exact for a normal z,
 * which is proportional to the distance from the expectation — and a smaller decline (or a rise) gives 0.
 * docs/verdicts.md, "When does a metric fail?": a decline of half the material change must never fail, so a fail
 * needs the day to be significantly below it, not merely below the expectation.
 */
export function zBeyondMargin(badZ: number, badChange: number | null, margin: number): number {
  if (margin <= 0) return badZ;
  if (badChange === null || badChange >= -margin || badZ >= 0) return 0;
  return (badZ * (badChange + margin)) / badChange;
}

/**
 * The decision rule of docs/verdicts.md. `volume` is today's denominator for a ratio
 * and the expected value for a count. The bad direction is turned into a
 * decline so one rule serves both. `margin` (default 0) is the harmless decline a
 * fail must be significantly beyond (zBeyondMargin); warnings use the plain z.
 */
export function judge(z: number, change: number | null, volume: number, t: Thresholds, margin = 0): Judgement {
  const sign = t.bad_direction === "decrease" ? 1 : -1;
  const badZ = sign * z;
  const badChange = change === null ? 0 : sign * change;
  if (volume < t.min_denominator) return "low_volume";
  const material = badChange <= -t.min_relative_change;
  if (zBeyondMargin(badZ, change === null ? null : badChange, margin) <= -t.sensitivity && material) return "fail";
  if ((badZ <= -t.warn_sensitivity && material) || badZ <= -t.sensitivity) return "warn";
  return "pass";
}
