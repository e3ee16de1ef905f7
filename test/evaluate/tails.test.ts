/** Exact tails (src/evaluate/tails.ts), on numbers worked out by hand. */
import { describe, expect, it } from "vitest";
import { betaBinomialCdf, binomialCdf, exactZ, negativeBinomialCdf, poissonCdf, zOfLowerTail } from "../../src/evaluate/tails.js";

describe("exact tails", () => {
  it("Poisson and binomial: simple-statistics' tables, summed to k", () => {
    expect(poissonCdf(0, 3)).toBeCloseTo(Math.exp(-3), 12);
    expect(poissonCdf(1, 3)).toBeCloseTo(4 * Math.exp(-3), 12);
    expect(binomialCdf(0, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(binomialCdf(1, 10, 0.5)).toBeCloseTo(11 / 1024, 12);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
  });

  it("beta-binomial: the rate's own variance widens the binomial; v = 0 is the binomial", () => {
    // p = ½, v = 0.05 → α + β = p(1 − p)/v − 1 = 4, α = β = 2; P(X = 0 | n = 2) = B(2, 4) / B(2, 2) = (1/20) / (1/6) = 0.3.
    expect(betaBinomialCdf(0, 2, 0.5, 0.05)).toBeCloseTo(0.3, 12);
    expect(betaBinomialCdf(0, 2, 0.5, 0)).toBeCloseTo(0.25, 12);
    expect(betaBinomialCdf(3, 20, 0.3, 0)).toBeCloseTo(binomialCdf(3, 20, 0.3), 12);
    expect(betaBinomialCdf(3, 20, 0.3, 0.01)).toBeGreaterThan(binomialCdf(3, 20, 0.3));
  });

  it("negative binomial: mean 2, variance 4 → r = 2, q = ½, P(0) = ¼, P(≤ 1) = ¼ + 2·¼·½", () => {
    expect(negativeBinomialCdf(0, 2, 4)).toBeCloseTo(0.25, 12);
    expect(negativeBinomialCdf(1, 2, 4)).toBeCloseTo(0.5, 12);
    // No wider than Poisson: Poisson.
    expect(negativeBinomialCdf(0, 2, 2)).toBeCloseTo(Math.exp(-2), 12);
  });

  it("exactZ: 0 where 3 were expected is z ≈ −1.65, not the normal −1.73; above the mean the upper tail counts", () => {
    const z0 = exactZ(0, 3, (k) => poissonCdf(k, 3));
    expect(z0).toBeCloseTo(zOfLowerTail(Math.exp(-3)), 12);
    expect(z0).toBeCloseTo(-1.647, 2);
    const up = exactZ(8, 3, (k) => poissonCdf(k, 3));
    expect(up).toBeGreaterThan(2);
    expect(exactZ(3, 3, (k) => poissonCdf(k, 3))).toBeLessThanOrEqual(0);
  });
});
