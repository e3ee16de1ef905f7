import { describe, expect, it } from "vitest";
import { countEstimate, judge, ratioEstimate, twoProportionZ, zBeyondMargin, type Thresholds } from "../../src/evaluate/stats.js";
import { countRelativeSpread, madCorrection, qnSd, ratioRelativeBetweenVariance, robustSd } from "../../src/evaluate/spread.js";
import { gaussian, mulberry32 } from "../../src/fixtures/prng.js";

/** √(1 + π/(2n)): the median (or pooled mean) of n baseline days is itself an estimate. */
const predict = (n: number) => Math.sqrt(1 + Math.PI / (2 * n));
const DESIGN_ONLY = { smallSample: false } as const;

const T: Thresholds = { sensitivity: 3, warn_sensitivity: 2, min_relative_change: 0.1, min_denominator: 500, bad_direction: "decrease" };

describe("countEstimate", () => {
  it("flat series: the Poisson floor keeps z finite and honest", () => {
    const e = countEstimate(900, [1000, 1000, 1000, 1000], DESIGN_ONLY);
    expect(e.expected).toBe(1000);
    expect(e.sd).toBeCloseTo(Math.sqrt(1000), 10);
    expect(e.z).toBeCloseTo(-100 / Math.sqrt(1000), 10);
    expect(e.change).toBeCloseTo(-0.1, 12);
  });

  it("noisy series: the spread is 1.4826·MAD, so ordinary noise is not an anomaly", () => {
    const base = [800, 1000, 1200, 1100];
    // median 1050; absolute deviations 250, 50, 150, 50 → MAD 100.
    const e = countEstimate(900, base, DESIGN_ONLY);
    expect(e.expected).toBe(1050);
    expect(e.sd).toBeCloseTo(148.26, 6);
    expect(e.z).toBeCloseTo(-150 / 148.26, 6);
  });

  it("small-sample corrections: MAD's finite-sample factor for 4 points (1.363) and the median's own error", () => {
    const e = countEstimate(900, [800, 1000, 1200, 1100]);
    expect(e.sd).toBeCloseTo(148.26 * 1.363 * predict(4), 6);
    const flat = countEstimate(900, [1000, 1000, 1000, 1000]);
    expect(flat.sd).toBeCloseTo(Math.sqrt(1000) * predict(4), 9);
  });

  it("the long-window relative spread is a floor: a baseline that happens to be flat no longer makes ordinary noise an anomaly", () => {
    const base = [10_000, 10_010, 9_990, 10_000]; // MAD 5, Poisson floor 100
    const plain = countEstimate(9_000, base);
    const floored = countEstimate(9_000, base, { relativeSpread: 0.05 });
    expect(plain.sd).toBeCloseTo(100 * predict(4), 9);
    expect(floored.sd).toBeCloseTo(500 * predict(4), 9);
    expect(floored.z).toBeCloseTo(-1000 / (500 * predict(4)), 9);
    // A floor never lowers a larger spread.
    expect(countEstimate(9_000, [8_000, 10_000, 12_000, 11_000], { relativeSpread: 0.001 }).sd).toBeCloseTo(
      countEstimate(9_000, [8_000, 10_000, 12_000, 11_000]).sd,
      9,
    );
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
    const e = ratioEstimate(today, base, DESIGN_ONLY);
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

    // With the small-sample correction the pooled proportion's own error is added: binomial over 40,000 trials + between/4.
    const c = ratioEstimate(today, base);
    const corrected = Math.sqrt((ps * (1 - ps)) / 10_000 + between + (ps * (1 - ps)) / 40_000 + between / 4);
    expect(c.z).toBeCloseTo((0.03 - p0) / corrected, 8);
  });

  it("the long-window between-day variance is a floor under the baseline's", () => {
    const base = [
      { num: 400, den: 10_000 },
      { num: 400, den: 10_000 },
      { num: 400, den: 10_000 },
    ];
    const e = ratioEstimate({ num: 360, den: 10_000 }, base, { relativeBetweenVariance: 0.05 ** 2 });
    expect(e.betweenDayVariance).toBeCloseTo((0.04 * 0.05) ** 2, 14);
    const ps = 1200.5 / 30_001;
    const v = (ps * (1 - ps)) / 10_000 + (0.04 * 0.05) ** 2 + (ps * (1 - ps)) / 30_000 + (0.04 * 0.05) ** 2 / 3;
    expect(e.z).toBeCloseTo((0.036 - 0.04) / Math.sqrt(v), 8);
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
    // The margin applies in the bad direction: +14.5 % at z 3.2 is within 3 sd of a harmless +5 %.
    expect(judge(3.2, 0.145, 10_000, up, 0.05)).toBe("warn");
    expect(judge(6, 0.3, 10_000, up, 0.05)).toBe("fail");
  });

  it("zBeyondMargin: the z measured from a harmless decline, z · (c + m)/c; 0 within the margin", () => {
    expect(zBeyondMargin(-4, -0.2, 0.05)).toBeCloseTo(-3, 12);
    expect(zBeyondMargin(-3.2, -0.145, 0.05)).toBeCloseTo((-3.2 * 0.095) / 0.145, 12);
    expect(zBeyondMargin(-2, -0.04, 0.05)).toBe(0);
    expect(zBeyondMargin(2, 0.04, 0.05)).toBe(0);
    expect(zBeyondMargin(-3.2, -0.145, 0)).toBe(-3.2);
  });

  it("with a margin, a fail needs the day significantly beyond the harmless decline; the warning still uses the plain z", () => {
    // The full-ingest seed-11 day: a 5 % dip on a noisy day measures −14.5 % at z −3.2.
    expect(judge(-3.2, -0.145, 10_000, T)).toBe("fail");
    expect(judge(-3.2, -0.145, 10_000, T, 0.05)).toBe("warn");
    // A real −30 % at z −6: −6 · 25/30 = −5, still a fail.
    expect(judge(-6, -0.3, 10_000, T, 0.05)).toBe("fail");
    expect(judge(-2.5, -0.3, 10_000, T, 0.05)).toBe("warn");
  });
});

describe("spread window", () => {
  it("robustSd: 1.4826·MAD with the finite-sample factor, unmoved by one outlier", () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000];
    // median 6; absolute deviations 5 4 3 2 1 0 1 2 3 4 994 → MAD 3; n = 11 → factor 11/10.2.
    expect(robustSd(xs)).toBeCloseTo(1.4826 * 3 * (11 / 10.2), 12);
    expect(madCorrection(4)).toBe(1.363);
    expect(robustSd([5])).toBe(0);
  });

  it("qnSd: 2.2219 × the C(h, 2)-th smallest pairwise distance with its finite-sample factor, unmoved by one outlier", () => {
    // 1 … 10 and 1000: n = 11, h = 6, k = 15; distance 1 occurs 9 times, 2 eight times → the 15th is 2; factor 11/12.4.
    expect(qnSd([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000])).toBeCloseTo(2.2219 * 2 * (11 / 12.4), 12);
    expect(qnSd([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10_000_000])).toBeCloseTo(2.2219 * 2 * (11 / 12.4), 12);
    // n = 4: h = 3, k = 3; distances 1 1 1 2 2 3 → 1; factor 0.512.
    expect(qnSd([1, 2, 3, 4])).toBeCloseTo(2.2219 * 0.512, 12);
    expect(qnSd([5])).toBe(0);
  });

  it("qnSd is unbiased and far steadier than 1.4826·MAD on normal data (56 points, as many as the spread window has)", () => {
    const rng = mulberry32(15);
    const summary = (f: (xs: number[]) => number, samples: number[][]) => {
      const out = samples.map(f);
      const m = out.reduce((s, x) => s + x, 0) / out.length;
      return { m, sd: Math.sqrt(out.reduce((s, x) => s + (x - m) ** 2, 0) / out.length) };
    };
    const samples = Array.from({ length: 400 }, () => Array.from({ length: 56 }, () => gaussian(rng)));
    const q = summary(qnSd, samples);
    const mad = summary(robustSd, samples);
    expect(Math.abs(q.m - 1)).toBeLessThan(0.03);
    // Efficiency 82 % against 37 %: the sd of the estimate is about 2/3 of MAD's.
    expect(q.sd).toBeLessThan(0.8 * mad.sd);
  });

  it("countRelativeSpread: Qn of week-over-week log changes over √2; null with too few pairs", () => {
    const d = [0.05, -0.05, 0.1, -0.1, 0.02, -0.02, 0.07, -0.07];
    const pairs = d.map((x) => [1000 * Math.exp(x), 1000] as [number, number]);
    // n = 8: h = 5, k = 10: the 10th smallest of the 28 pairwise distances; factor 0.669.
    const dist: number[] = [];
    for (let i = 0; i < d.length; i++) for (let j = i + 1; j < d.length; j++) dist.push(Math.abs(d[i] - d[j]));
    dist.sort((a, b) => a - b);
    expect(countRelativeSpread(pairs)).toBeCloseTo((2.2219 * 0.669 * dist[9]) / Math.SQRT2, 12);
    expect(countRelativeSpread(pairs.slice(0, 5))).toBeNull();
    // Pairs with a zero on either side carry no relative change and are skipped.
    expect(countRelativeSpread([...pairs.slice(0, 5), [0, 1000]])).toBeNull();
  });

  it("ratioRelativeBetweenVariance: robust (Qn) variance of log-rate changes minus their binomial part, halved, floored at 0", () => {
    const p = 0.04;
    const d = [0.08, -0.08, 0.12, -0.12, 0.04, -0.04, 0.1, -0.1];
    const pairs = d.map((x) => ({ today: { num: 400 * Math.exp(x), den: 10_000 }, before: { num: 400, den: 10_000 } }));
    const binomial = (2 * (1 - p)) / (p * 10_000);
    const expected = (qnSd(d) ** 2 - binomial) / 2;
    expect(expected).toBeGreaterThan(0);
    expect(ratioRelativeBetweenVariance(pairs, p)).toBeCloseTo(expected, 12);
    // Changes no larger than binomial noise: no between-day variance at all.
    const calm = d.map((x) => ({ today: { num: 400 * Math.exp(x / 100), den: 10_000 }, before: { num: 400, den: 10_000 } }));
    expect(ratioRelativeBetweenVariance(calm, p)).toBe(0);
    expect(ratioRelativeBetweenVariance(pairs.slice(0, 3), p)).toBeNull();
  });
});
