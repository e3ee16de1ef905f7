import { describe, expect, it } from "vitest";
import { binomialDistribution, cumulativeStdNormalProbability } from "simple-statistics";
import { exactTwoSample, normalCdf, zOfLowerTail } from "../../src/evaluate/exact.js";
import { twoProportionZ } from "../../src/evaluate/stats.js";

/** C(n, k) exactly, for the hand-sized tables below. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** P(X ≤ a) of the hypergeometric by direct summation of exact binomial coefficients. */
function fisherLowerByHand(a: number, n1: number, c: number, n2: number): number {
  const K = a + c;
  let num = 0n;
  for (let x = Math.max(0, n1 - (n1 + n2 - K)); x <= a; x++) num += choose(K, x) * choose(n1 + n2 - K, n1 - x);
  return Number(num) / Number(choose(n1 + n2, n1));
}

describe("exact two-sample tests", () => {
  it("Fisher: 1 of 10 against 9 of 10 is (1 + 100) / C(20,10) in the lower tail", () => {
    const t = exactTwoSample({ num: 1, den: 10 }, { num: 9, den: 10 });
    expect(t.method).toBe("fisher");
    expect(t.pLower).toBeCloseTo(101 / 184_756, 12);
    // Both tails hold the observed table: pLower + pUpper = 1 + P(X = 1).
    expect(t.pLower + t.pUpper).toBeCloseTo(1 + 100 / 184_756, 12);
  });

  it("Fisher agrees with exact summation on small and lopsided tables", () => {
    for (const [a, n1, c, n2] of [
      [0, 30, 40, 1000],
      [3, 90, 160, 4000],
      [12, 60, 5, 70],
      [0, 1, 0, 5],
    ]) {
      const t = exactTwoSample({ num: a, den: n1 }, { num: c, den: n2 });
      expect(t.pLower).toBeCloseTo(fisherLowerByHand(a, n1, c, n2), 10);
    }
  });

  it("rates above 1 use the conditional binomial: P(X ≤ 5) of Binomial(35, 1/3)", () => {
    const t = exactTwoSample({ num: 5, den: 2 }, { num: 30, den: 4 });
    expect(t.method).toBe("poisson");
    const pmf = binomialDistribution(35, 1 / 3);
    const lower = pmf!.slice(0, 6).reduce((s, p) => s + p, 0);
    expect(t.pLower).toBeCloseTo(lower, 8);
  });

  it("at large counts the exact tail sits where the normal approximation puts it", () => {
    const a = { num: 300, den: 10_000 };
    const b = { num: 3_600, den: 90_000 };
    const t = exactTwoSample(a, b);
    const z = twoProportionZ(a, b).z;
    expect(zOfLowerTail(t.pLower)).toBeGreaterThan(z - 0.15);
    expect(zOfLowerTail(t.pLower)).toBeLessThan(z + 0.15);
  });

  it("normalCdf and zOfLowerTail are inverse and agree with the standard normal table", () => {
    expect(normalCdf(-3)).toBeCloseTo(0.00135, 5);
    expect(normalCdf(1.96)).toBeCloseTo(cumulativeStdNormalProbability(1.96), 3);
    expect(zOfLowerTail(normalCdf(-3))).toBeCloseTo(-3, 4);
    expect(zOfLowerTail(0.025)).toBeCloseTo(-1.959964, 5);
    expect(zOfLowerTail(0.975)).toBeCloseTo(1.959964, 5);
    // Far tails: Φ(−8) = 6.22e-16.
    expect(zOfLowerTail(6.220960574271785e-16)).toBeCloseTo(-8, 4);
    expect(zOfLowerTail(0)).toBe(-40);
    expect(zOfLowerTail(1)).toBe(40);
  });
});
