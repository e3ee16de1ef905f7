import { describe, expect, it } from "vitest";
import { countEstimate, judge, ratioEstimate, twoProportionZ, type Thresholds } from "../../src/evaluate/stats.js";

const T: Thresholds = { sensitivity: 3, warn_sensitivity: 2, min_relative_change: 0.1, min_denominator: 500, bad_direction: "decrease" };

describe("countEstimate", () => {
  it("flat series: the Poisson floor keeps z finite and honest", () => {
    const e = countEstimate(900, [1000, 1000, 1000, 1000]);
    expect(e.expected).toBe(1000);
    expect(e.sd).toBeCloseTo(Math.sqrt(1000), 10);
    expect(e.z).toBeCloseTo(-100 / Math.sqrt(1000), 10);
    expect(e.change).toBeCloseTo(-0.1, 12);
  });

  it("noisy series: the spread is 1.4826·MAD, so ordinary noise is not an anomaly", () => {
    const base = [800, 1000, 1200, 1100];
    // median 1050; absolute deviations 250, 50, 150, 50 → MAD 100.
    const e = countEstimate(900, base);
    expect(e.expected).toBe(1050);
    expect(e.sd).toBeCloseTo(148.26, 6);
    expect(e.z).toBeCloseTo(-150 / 148.26, 6);
  });

  it("a zero baseline gives a finite z and no relative change", () => {
    const e = countEstimate(3, [0, 0, 0]);
    expect(Number.isFinite(e.z)).toBe(true);
    expect(e.change).toBeNull();
  });
});

describe("ratioEstimate", () => {
  it("pools the baseline and adds the between-day variance beyond binomial noise", () => {
    const base = [
      { num: 400, den: 10_000 },
      { num: 460, den: 10_000 },
      { num: 380, den: 10_000 },
      { num: 440, den: 10_000 },
    ];
    const today = { num: 300, den: 10_000 };
    const e = ratioEstimate(today, base);
    const p0 = 1680 / 40_000;
    const ps = 1680.5 / 40_001;
    const rates = base.map((b) => b.num / b.den);
    const m = rates.reduce((a, b) => a + b, 0) / rates.length;
    const sampleVar = rates.reduce((a, r) => a + (r - m) ** 2, 0) / (rates.length - 1);
    const between = Math.max(0, sampleVar - (ps * (1 - ps)) / 10_000);
    const sd = Math.sqrt((ps * (1 - ps)) / 10_000 + between);
    expect(e.expected).toBeCloseTo(p0, 12);
    expect(e.betweenDayVariance).toBeGreaterThan(0);
    expect(e.betweenDayVariance).toBeCloseTo(between, 12);
    expect(e.z).toBeCloseTo((0.03 - p0) / sd, 8);
  });

  it("between-day variance is floored at 0 when the baseline is steadier than binomial noise", () => {
    const e = ratioEstimate({ num: 40, den: 1000 }, [
      { num: 40, den: 1000 },
      { num: 40, den: 1000 },
      { num: 40, den: 1000 },
    ]);
    expect(e.betweenDayVariance).toBe(0);
    expect(e.z).toBeCloseTo(0, 12);
  });

  it("ignores baseline days with a zero denominator", () => {
    const a = ratioEstimate({ num: 30, den: 1000 }, [
      { num: 40, den: 1000 },
      { num: 0, den: 0 },
      { num: 42, den: 1000 },
    ]);
    const b = ratioEstimate({ num: 30, den: 1000 }, [
      { num: 40, den: 1000 },
      { num: 42, den: 1000 },
    ]);
    expect(a.z).toBe(b.z);
    expect(a.expected).toBe(0.041);
  });

  it("a baseline of exactly 0 % still has a spread", () => {
    const e = ratioEstimate({ num: 1, den: 1000 }, [
      { num: 0, den: 1000 },
      { num: 0, den: 1000 },
      { num: 0, den: 1000 },
    ]);
    expect(Number.isFinite(e.z)).toBe(true);
    expect(e.z).toBeGreaterThan(0);
  });
});

describe("twoProportionZ", () => {
  it("matches the pooled two-proportion formula", () => {
    const r = twoProportionZ({ num: 60, den: 2000 }, { num: 200, den: 5000 });
    const p = 260.5 / 7001;
    const se = Math.sqrt(p * (1 - p) * (1 / 2000 + 1 / 5000));
    expect(r.z).toBeCloseTo((0.03 - 0.04) / se, 10);
  });
});

describe("judge", () => {
  it("fails only when significant, material and with enough volume", () => {
    expect(judge(-4, -0.3, 10_000, T)).toBe("fail");
    expect(judge(-4, -0.05, 10_000, T)).toBe("warn"); // significant, not material
    expect(judge(-2.5, -0.3, 10_000, T)).toBe("warn"); // material, not significant
    expect(judge(-1.5, -0.3, 10_000, T)).toBe("pass");
    expect(judge(-9, -0.5, 499, T)).toBe("low_volume");
    expect(judge(4, 0.3, 10_000, T)).toBe("pass"); // a rise is fine by default
  });

  it("flips for bad_direction increase", () => {
    const up = { ...T, bad_direction: "increase" as const };
    expect(judge(4, 0.3, 10_000, up)).toBe("fail");
    expect(judge(-4, -0.3, 10_000, up)).toBe("pass");
  });
});
