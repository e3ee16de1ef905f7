/** Robust baseline choice (src/evaluate/baseline.ts). */
import { describe, expect, it } from "vitest";
import { chooseCountBaseline, chooseRatioBaseline, type ExclusionReason } from "../../src/evaluate/baseline.js";

const days = ["2026-06-21", "2026-06-14", "2026-06-07", "2026-05-31", "2026-05-24", "2026-05-17"];

describe("baseline choice", () => {
  it("an outlier is left out with its reason, and the next older day takes its place", () => {
    const values = [1000, 980, 0, 1010, 990, 1005];
    const c = chooseCountBaseline(days.map((ds, i) => ({ ds, value: values[i] })), 4, new Map(), 0.05);
    expect(c.used.map((u) => u.ds)).toEqual([days[0], days[1], days[3], days[4]]);
    expect(c.excluded).toEqual([{ ds: days[2], reason: "outlier" }]);
  });

  it("marked and failed days are left out whatever their value; ordinary noise is not an outlier", () => {
    const known = new Map<string, ExclusionReason>([[days[0], "marked"], [days[1], "failed"]]);
    const values = [1000, 980, 1030, 1010, 950, 1005];
    const c = chooseCountBaseline(days.map((ds, i) => ({ ds, value: values[i] })), 4, known, 0.05);
    expect(c.used.map((u) => u.ds)).toEqual(days.slice(2));
    expect(c.excluded).toEqual([{ ds: days[0], reason: "marked" }, { ds: days[1], reason: "failed" }]);
  });

  it("ratios: a day at half the usual rate is an outlier against binomial noise plus the day-to-day variance", () => {
    const rates = [0.04, 0.041, 0.02, 0.039, 0.04, 0.0405];
    const c = chooseRatioBaseline(days.map((ds, i) => ({ ds, value: { num: Math.round(rates[i] * 10_000), den: 10_000 } })), 4, new Map(), 0.05 ** 2);
    expect(c.excluded).toEqual([{ ds: days[2], reason: "outlier" }]);
    expect(c.used).toHaveLength(4);
    // With 2 % day-to-day movement a 3 % dip is ordinary.
    const calm = [0.04, 0.041, 0.0388, 0.039, 0.04, 0.0405];
    expect(chooseRatioBaseline(days.map((ds, i) => ({ ds, value: { num: Math.round(calm[i] * 10_000), den: 10_000 } })), 4, new Map(), 0.02 ** 2).excluded).toEqual([]);
  });
});
