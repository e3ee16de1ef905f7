/**
 * Exact one-sided tests of one sample against another (a build's traffic
 * against the rest of the same hours), so small counts are judged without a
 * normal approximation or a volume floor:
 *
 * - proportions (numerator ≤ denominator on both sides): Fisher's exact test,
 *   the hypergeometric tail of the first sample's successes given the total;
 * - rates that can exceed 1 (purchases per signup): the conditional binomial
 *   test of two Poisson rates — given all N events, the first sample's share
 *   is Binomial(N, its share of the exposure).
 *
 * Tails are summed outward from the requested point with the pmf's ratio
 * recurrence (one `gammaln` per tail), so millions of trials cost only as
 * many terms as the tail has mass. See docs/canary.md.
 */
import { erf, gammaln } from "simple-statistics";
import type { Fraction } from "./stats.js";

/** A discrete distribution on lo..hi given by its log pmf and the ratio pmf(x+1)/pmf(x). */
interface Discrete {
  lo: number;
  hi: number;
  mode: number;
  logPmf(x: number): number;
  /** pmf(x + 1) / pmf(x), for lo ≤ x < hi. */
  up(x: number): number;
}

const lchoose = (n: number, k: number) => gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);

/** Sums pmf from `start` outward (dir −1: down to lo, +1: up to hi) until the terms stop mattering. */
function sumOutward(d: Discrete, start: number, dir: 1 | -1): number {
  let term = Math.exp(d.logPmf(start));
  let sum = term;
  for (let x = start; dir < 0 ? x > d.lo : x < d.hi; x += dir) {
    term = dir > 0 ? term * d.up(x) : term / d.up(x - 1);
    sum += term;
    if (term <= sum * 1e-17 || term === 0) break;
  }
  return sum;
}

/** P(X ≤ a). */
function lowerTail(d: Discrete, a: number): number {
  if (a < d.lo) return 0;
  if (a >= d.hi) return 1;
  // Below the mode the terms fall as x falls; otherwise sum the other side and complement.
  if (a < d.mode) return Math.min(1, sumOutward(d, a, -1));
  return Math.max(0, 1 - Math.min(1, sumOutward(d, a + 1, 1)));
}

/** P(X ≥ b). */
function upperTail(d: Discrete, b: number): number {
  if (b > d.hi) return 0;
  if (b <= d.lo) return 1;
  if (b > d.mode) return Math.min(1, sumOutward(d, b, 1));
  return Math.max(0, 1 - Math.min(1, sumOutward(d, b - 1, -1)));
}

/** X = successes among the n1 draws of a population of N = n1 + n2 holding K successes. */
function hypergeometric(n1: number, n2: number, K: number): Discrete {
  const N = n1 + n2;
  const lo = Math.max(0, n1 - (N - K));
  const hi = Math.min(K, n1);
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n1 + 1) * (K + 1)) / (N + 2))));
  const base = lchoose(N, n1);
  return {
    lo,
    hi,
    mode,
    logPmf: (x) => lchoose(K, x) + lchoose(N - K, n1 - x) - base,
    up: (x) => ((K - x) * (n1 - x)) / ((x + 1) * (N - K - n1 + x + 1)),
  };
}

function binomial(n: number, q: number): Discrete {
  const mode = Math.min(n, Math.floor((n + 1) * q));
  return {
    lo: 0,
    hi: n,
    mode,
    logPmf: (x) => lchoose(n, x) + (x > 0 ? x * Math.log(q) : 0) + (n - x > 0 ? (n - x) * Math.log1p(-q) : 0),
    up: (x) => ((n - x) * q) / ((x + 1) * (1 - q)),
  };
}

export interface ExactTest {
  /** One-sided p-value of a being this low (or lower) given the margins. */
  pLower: number;
  /** One-sided p-value of a being this high (or higher). */
  pUpper: number;
  method: "fisher" | "poisson";
}

/**
 * Exact one-sided p-values of sample a's rate against sample b's. Counts are
 * whole numbers; denominators must be positive.
 */
export function exactTwoSample(a: Fraction, b: Fraction): ExactTest {
  if (a.den <= 0 || b.den <= 0) throw new Error("exactTwoSample needs positive denominators");
  const x = Math.round(a.num);
  const total = x + Math.round(b.num);
  if (a.num <= a.den && b.num <= b.den) {
    const d = hypergeometric(Math.round(a.den), Math.round(b.den), total);
    return { pLower: lowerTail(d, x), pUpper: upperTail(d, x), method: "fisher" };
  }
  const d = binomial(total, a.den / (a.den + b.den));
  return { pLower: lowerTail(d, x), pUpper: upperTail(d, x), method: "poisson" };
}

/** Φ(x), the standard normal distribution function (from simple-statistics' erf). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9). simple-statistics' probit
// is off by about 0.01 at z = 3, which is enough to move a verdict that sits on the threshold.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

function quantile(p: number): number {
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  if (p > 1 - low) return -quantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/** The z whose lower normal tail is p: the exact test's p-value on the z scale (clamped to ±40 for 0 and 1). */
export function zOfLowerTail(p: number): number {
  if (!(p > 0)) return -40;
  if (p >= 1) return 40;
  return Math.max(-40, Math.min(40, quantile(p)));
}
