/**
 * How much does a metric ordinarily move from one week to the next?
 *
 * docs/verdicts.md judges a day against the same weekday of the previous 4 weeks:
 * median ± 1.4826·MAD for counts, the baseline's between-day variance for
 * ratios. Four points make a very unstable spread: their MAD is often near 0,
 * and then only the Poisson floor (√expected) or the binomial variance is
 * left, which at a few thousand events a day is far below real day-to-day
 * variation (traffic moves ~5 % a day; √4000 is 1.6 %). Ordinary days then
 * show up as warn or fail.
 *
 * This module estimates the ordinary relative movement from a longer window:
 * every published day t of the last `spread_weeks` weeks paired with t − 7
 * (same weekday, so weekly seasonality cancels), d = ln(x_t / x_{t−7}). With
 * 8 weeks that is up to 56 pairs instead of 4 points. Var(d) = 2σ² for
 * independent days, so σ = qnSd(d)/√2, Rousseeuw–Croux's Qn: robust like
 * MAD (a past incident is one outlier among dozens) but far less noisy, and
 * free of a centre (a slow trend does not move it). It is used as a floor next to
 * the docs/verdicts.md formulas, never instead of them.
 */
import { median } from "simple-statistics";

export const MAD_TO_SD = 1.4826;

/**
 * Finite-sample correction of 1.4826·MAD (Croux & Rousseeuw 1992, Table 1):
 * on few points MAD underestimates the spread of normal data — by a third on
 * 3 points. Beyond 9 points the factor is n/(n − 0.8).
 */
const MAD_SMALL_SAMPLE = [1, 1, 1.196, 1.495, 1.363, 1.206, 1.2, 1.14, 1.129, 1.107];

export function madCorrection(n: number): number {
  if (n < MAD_SMALL_SAMPLE.length) return MAD_SMALL_SAMPLE[Math.max(0, n)];
  return n / (n - 0.8);
}

/** 1.4826·MAD with the small-sample correction: an sd estimate that one outlier cannot move. */
export function robustSd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - m)));
  return MAD_TO_SD * madCorrection(xs.length) * mad;
}

/**
 * Rousseeuw & Croux's Qn: 2.2219 × the first quartile (the C(h, 2)-th smallest, h = ⌊n/2⌋ + 1) of the n(n − 1)/2
 * distances |x_i − x_j|, with its finite-sample factor. As robust as MAD (half the points may be outliers) but
 * 82 % efficient on normal data against MAD's 37 %: the spread window's variance is estimated from ~56 week-over-week
 * changes, and with MAD its sampling error alone often halved or doubled τ² (docs/verdicts.md, "Why the longer window").
 */
export function qnSd(xs: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const d = new Float64Array((n * (n - 1)) / 2);
  let at = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[at++] = Math.abs(xs[i] - xs[j]);
  const h = Math.floor(n / 2) + 1;
  const k = (h * (h - 1)) / 2;
  kthSmallest(d, k - 1);
  const factor = n <= 9 ? QN_SMALL_SAMPLE[n] : n % 2 === 1 ? n / (n + 1.4) : n / (n + 3.8);
  return 2.2219 * d[k - 1] * factor;
}

/** Puts the k-th smallest (0-based) of d at d[k] (Hoare's selection, in place): linear time, no full sort. */
function kthSmallest(d: Float64Array, k: number): void {
  let lo = 0;
  let hi = d.length - 1;
  while (lo < hi) {
    const pivot = d[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (d[i] < pivot) i++;
      while (d[j] > pivot) j--;
      if (i <= j) {
        const t = d[i];
        d[i] = d[j];
        d[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Qn's finite-sample factors for n = 2 … 9 (Croux & Rousseeuw 1992). */
const QN_SMALL_SAMPLE = [1, 1, 0.399, 0.994, 0.512, 0.844, 0.611, 0.857, 0.669, 0.872];

/**
 * The median of n days is itself an estimate: its sampling variance is about
 * π/(2n) times the day-to-day variance, so the prediction error of "today vs
 * the median" is √(1 + π/(2n)) times the daily sd (+18 % with 4 weeks).
 */
export function medianPredictionFactor(n: number): number {
  return n > 0 ? Math.sqrt(1 + Math.PI / (2 * n)) : 1;
}

/** Fewer pairs than this: the long-window estimate is not used (too few to be more stable than MAD). */
export const MIN_SPREAD_PAIRS = 6;

/** Relative day-to-day sd of a positive count from week-over-week pairs [x_t, x_{t−7}]; null when too few usable pairs. */
export function countRelativeSpread(pairs: [number, number][]): number | null {
  const d = pairs.filter(([a, b]) => a > 0 && b > 0).map(([a, b]) => Math.log(a / b));
  if (d.length < MIN_SPREAD_PAIRS) return null;
  return qnSd(d) / Math.SQRT2;
}

export interface RatioPair {
  today: { num: number; den: number };
  before: { num: number; den: number };
}

/**
 * Relative between-day variance of a rate beyond its binomial noise, from
 * week-over-week pairs: Var(ln r_t − ln r_{t−7}) ≈ 2τ² + v_t + v_{t−7}, with
 * v ≈ (1 − p)/(p·n) the binomial part of ln r at n trials. Returns τ² (≥ 0),
 * or null when too few pairs have positive numerators on both days.
 */
export function ratioRelativeBetweenVariance(pairs: RatioPair[], p: number): number | null {
  const usable = pairs.filter((x) => x.today.num > 0 && x.before.num > 0 && x.today.den > 0 && x.before.den > 0);
  if (usable.length < MIN_SPREAD_PAIRS || p <= 0) return null;
  const d = usable.map((x) => Math.log(x.today.num / x.today.den / (x.before.num / x.before.den)));
  // Rates above 1 (purchases per signup) behave like Poisson counts: Var(ln r) ≈ 1/(p·n).
  const q = p < 1 ? 1 - p : 1;
  const binomial = usable.reduce((s, x) => s + q / (p * x.today.den) + q / (p * x.before.den), 0) / usable.length;
  return Math.max(0, (qnSd(d) ** 2 - binomial) / 2);
}
