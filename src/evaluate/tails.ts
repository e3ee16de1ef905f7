/**
 * Exact tail probabilities for small counts (docs/verdicts.md, "Judged whenever
 * the evidence suffices"). A normal z-score is wrong at a handful of events: 0
 * purchases where 3 were expected is z ≈ −1.7 on the normal curve, but its
 * Poisson probability is 5 %, and 0 where 0.4 was expected is not evidence of
 * anything. So below `EXACT_LIMIT` expected events the verdict's z is the
 * normal quantile of an exact tail probability (the limit is 300: there the
 * normal curve is off by well under a tenth of a z, skewness being ~1/√300):
 *
 * - binomial and Poisson: simple-statistics' tables;
 * - beta-binomial (a rate whose own day-to-day variance is known) and negative
 *   binomial (a count whose spread exceeds Poisson): summed here from their
 *   mass functions, with simple-statistics' log-gamma.
 *
 * Above the limit the normal approximation is used; its error there is far
 * below the noise being judged.
 */
import { binomialDistribution, cumulativeStdNormalProbability, gammaln, poissonDistribution } from "simple-statistics";
import { zOfLowerTail as quantileZ } from "./exact.js";

/** Expected events above which a tail is taken from the normal curve. */
export const EXACT_LIMIT = 300;

/** Smallest probability a z is derived from (z ≈ ±8): beyond it the numbers only say "certainly". */
const P_FLOOR = 1e-15;

function clampP(p: number): number {
  return Math.min(1 - P_FLOOR, Math.max(P_FLOOR, p));
}

/** The z with the same lower-tail probability: Φ⁻¹(p) (exact.ts' quantile, accurate where verdicts are decided). */
export function zOfLowerTail(p: number): number {
  return quantileZ(clampP(p));
}

/** The z with the same upper-tail probability: −Φ⁻¹(p). */
export function zOfUpperTail(p: number): number {
  return -quantileZ(clampP(p));
}

function sumCells(cells: number[] | undefined, k: number): number | null {
  if (!cells) return null;
  let s = 0;
  for (let x = 0; x <= k && x < cells.length; x++) s += cells[x];
  // Cells beyond the table's end are below simple-statistics' epsilon: P(X ≤ k) is then 1.
  return k >= cells.length ? 1 : Math.min(1, s);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  const mean = n * p;
  if (mean <= EXACT_LIMIT) {
    const exact = sumCells(binomialDistribution(Math.round(n), p), Math.floor(k));
    if (exact !== null) return exact;
  }
  return cumulativeStdNormalProbability((Math.floor(k) + 0.5 - mean) / Math.sqrt(mean * (1 - p)));
}

/** P(X ≤ k) for X ~ Poisson(λ). */
export function poissonCdf(k: number, lambda: number): number {
  if (k < 0) return 0;
  if (lambda <= 0) return 1;
  if (lambda <= EXACT_LIMIT) {
    const exact = sumCells(poissonDistribution(lambda), Math.floor(k));
    if (exact !== null) return exact;
  }
  return cumulativeStdNormalProbability((Math.floor(k) + 0.5 - lambda) / Math.sqrt(lambda));
}

/**
 * P(X ≤ k) for X ~ Beta-binomial(n, α, β) with mean rate p and rate variance v
 * (the rate itself varies from day to day by v; the draw adds the binomial
 * part). v = 0 is the binomial.
 */
export function betaBinomialCdf(k: number, n: number, p: number, v: number): number {
  if (k < 0) return 0;
  if (k >= n || p <= 0) return 1;
  if (p >= 1) return 0;
  // α + β = p(1 − p)/v − 1; a v too small to matter (or impossible, ≥ p(1 − p)) falls back to the binomial / its limit.
  const c = v > 0 ? (p * (1 - p)) / v - 1 : Infinity;
  if (c > 1e9) return binomialCdf(k, n, p);
  return betaBinomialCdfC(k, n, p, c > 0 ? c : 0.5);
}

function betaBinomialCdfC(k: number, n: number, p: number, c: number): number {
  const mean = n * p;
  if (mean > EXACT_LIMIT) {
    const variance = n * p * (1 - p) * (1 + (n - 1) / (c + 1));
    return cumulativeStdNormalProbability((Math.floor(k) + 0.5 - mean) / Math.sqrt(variance));
  }
  const a = p * c;
  const b = (1 - p) * c;
  const lnBab = gammaln(a) + gammaln(b) - gammaln(a + b);
  const lnN = gammaln(n + 1);
  let s = 0;
  for (let x = 0; x <= Math.floor(k); x++) {
    const lnChoose = lnN - gammaln(x + 1) - gammaln(n - x + 1);
    const lnB = gammaln(x + a) + gammaln(n - x + b) - gammaln(n + a + b);
    s += Math.exp(lnChoose + lnB - lnBab);
  }
  return Math.min(1, s);
}

/**
 * P(X ≤ k) for a count with this mean and variance: negative binomial when the
 * variance exceeds the mean (a Poisson rate that itself varies from day to
 * day), Poisson otherwise.
 */
export function negativeBinomialCdf(k: number, mean: number, variance: number): number {
  if (k < 0) return 0;
  if (mean <= 0) return 1;
  if (variance <= mean * (1 + 1e-9)) return poissonCdf(k, mean);
  if (mean > EXACT_LIMIT) return cumulativeStdNormalProbability((Math.floor(k) + 0.5 - mean) / Math.sqrt(variance));
  const r = (mean * mean) / (variance - mean);
  const q = r / (r + mean);
  const lnQ = Math.log(q);
  const ln1mQ = Math.log1p(-q);
  const lnGr = gammaln(r);
  let s = 0;
  for (let x = 0; x <= Math.floor(k); x++) s += Math.exp(gammaln(x + r) - lnGr - gammaln(x + 1) + r * lnQ + x * ln1mQ);
  return Math.min(1, s);
}

/**
 * A z-equivalent of an observation under a discrete distribution: below the
 * mean, Φ⁻¹(P(X ≤ obs)); above it, −Φ⁻¹(P(X ≥ obs)). Large volumes give the
 * ordinary z back; small ones give honest, smaller |z|.
 */
export function exactZ(observed: number, mean: number, cdf: (k: number) => number): number {
  const k = Math.round(observed);
  if (k <= mean) return Math.min(0, zOfLowerTail(cdf(k)));
  return Math.max(0, zOfUpperTail(1 - cdf(k - 1)));
}
