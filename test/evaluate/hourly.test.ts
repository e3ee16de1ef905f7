/** The within-day scan (src/evaluate/hourly.ts). */
import { describe, expect, it } from "vitest";
import { RUNS_SCANNED, scanHours, type HourlyDay } from "../../src/evaluate/hourly.js";

const flat = (num: number, den: number): HourlyDay => ({ num: Array(24).fill(num), den: Array(24).fill(den) });
function withHours(day: HourlyDay, from: number, to: number, num: number): HourlyDay {
  return { num: day.num.map((x, h) => (h >= from && h < to ? num : x)), den: day.den };
}

describe("scanHours", () => {
  it("every run of 1 … 23 hours is scanned: 24·25/2 − 1", () => {
    expect(RUNS_SCANNED).toBe(299);
  });

  it("a 6-hour outage is found, with its hours, observed 0 against what the rest of the day predicts", () => {
    const base = [flat(10, 100), flat(10, 100), flat(10, 100), flat(10, 100)];
    const run = scanHours(withHours(flat(10, 100), 10, 16, 0), base, 3, 0.5)!;
    expect(run).toMatchObject({ from: 10, to: 16, observed: 0, change: -1 });
    // The rest of the day runs at the baseline rate, so the prediction is 6 hours × 10.
    expect(run.expected).toBeCloseTo(60, 6);
    expect(run.z).toBeLessThan(-run.threshold);
    // Bonferroni over 299 runs at sensitivity 3: Φ⁻¹(0.00135/299) ≈ −4.44.
    expect(run.threshold).toBeCloseTo(4.44, 1);
  });

  it("nothing on an ordinary day, a drop smaller than hourly_min_drop, or a whole-day drop (the daily verdict's)", () => {
    const base = [flat(10, 100), flat(10, 100), flat(10, 100)];
    expect(scanHours(flat(10, 100), base, 3, 0.5)).toBeNull();
    expect(scanHours(withHours(flat(10, 100), 10, 16, 7), base, 3, 0.5)).toBeNull(); // −30 %
    expect(scanHours(flat(3, 100), base, 3, 0.5)).toBeNull(); // −70 % all day: the rest of the day falls too
  });

  it("a count (no denominator) is scanned against the baseline's same hours", () => {
    const base: HourlyDay[] = [1, 2, 3].map(() => ({ num: Array(24).fill(20), den: null }));
    const run = scanHours({ num: Array.from({ length: 24 }, (_, h) => (h >= 2 && h < 5 ? 0 : 20)), den: null }, base, 3, 0.5)!;
    expect(run).toMatchObject({ from: 2, to: 5, observed: 0 });
  });

  it("a count's baseline day that lacked an hour (clocks went forward) is left out of that hour's expectation, not read as zero", () => {
    const day = (): HourlyDay => ({ num: Array(24).fill(20), den: null });
    const springDay = { num: day().num.map((n, h) => (h === 2 ? NaN : n)), den: null };
    const run = scanHours({ num: Array.from({ length: 24 }, (_, h) => (h >= 2 && h < 5 ? 0 : 20)), den: null }, [day(), day(), day(), springDay], 3, 0.5)!;
    // 02:00–05:00 expects 3 × 20 as the rest of the day runs at the baseline; a zero for the missing 02:00 would make it 55.
    expect(run).toMatchObject({ from: 2, to: 5, observed: 0 });
    expect(run.expected).toBeCloseTo(60, 6);
  });
});
