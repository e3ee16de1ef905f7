/** Power, shown (src/evaluate/power.ts). */
import { describe, expect, it } from "vitest";
import { powerOf } from "../../src/evaluate/power.js";
import { smallConfig } from "./helpers.js";

const ev = smallConfig().evaluation;
const T = { sensitivity: 3, warn_sensitivity: 2, min_relative_change: 0.1, min_denominator: 0, bad_direction: "decrease" as const };

describe("powerOf", () => {
  it("a count of 10,000 ± 500: a one-day drop fails 3 sd beyond the harmless 5 % (20 %); 7 days at k + h/7 ≈ 1.21 sd, floored at ¾ of the material 10 %", () => {
    const est = { observed: 10_000, expected: 10_000, sd: 500, z: 0, change: 0 };
    const p = powerOf("count", est, null, T, ev)!;
    expect(p.one_day!).toBeCloseTo(0.2, 3);
    expect(p.seven_day!).toBeCloseTo(0.075, 3);
  });

  it("a large spread: the material change does not bind, the significance does", () => {
    const est = { observed: 10_000, expected: 10_000, sd: 1_000, z: 0, change: 0 };
    const p = powerOf("count", est, null, T, ev)!;
    expect(p.one_day!).toBeCloseTo(0.35, 3);
    expect(p.seven_day!).toBeCloseTo((0.5 + 5 / 7) / 10, 3);
  });

  it("fail_margin 0: the plain rule, a one-day drop of 3 sd (15 %)", () => {
    const est = { observed: 10_000, expected: 10_000, sd: 500, z: 0, change: 0 };
    expect(powerOf("count", est, null, T, { ...ev, fail_margin: 0 })!.one_day!).toBeCloseTo(0.15, 3);
  });

  it("too few events: not even a total collapse fails, so there is no figure", () => {
    const est = { observed: 2, expected: 2, sd: Math.SQRT2, z: 0, change: 0 };
    expect(powerOf("count", est, null, T, ev)).toEqual({ one_day: null, seven_day: null });
  });
});
