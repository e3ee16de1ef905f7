import { describe, expect, it } from "vitest";
import { fmtAge, fmtChange, fmtCheckValue, fmtFraction, fmtHourRange, fmtHours, fmtMoved, fmtP, fmtSample, fmtShare, fmtShortDate, fmtTick, fmtValue, fmtZ, kindOf, segmentLabel } from "../../src/present/format.js";

describe("dashboard wording in format.ts", () => {
  it("axis ticks carry the decimals their step needs, no more", () => {
    expect([0.02, 0.025, 0.03].map((x) => fmtTick(x, "ratio", 0.005))).toEqual(["2.0 %", "2.5 %", "3.0 %"]);
    expect([0, 0.1, 0.2].map((x) => fmtTick(x, "ratio", 0.1))).toEqual(["0 %", "10 %", "20 %"]);
    expect([10_000, 12_000].map((x) => fmtTick(x, "count", 2_000))).toEqual(["10,000", "12,000"]);
    expect(fmtTick(2.5, "count", 0.5)).toBe("2.5");
    expect(fmtTick(0.0005, "ratio", 0.0001)).toBe("0.05 %");
  });

  it("a rate's sample, a signed change, a z, days and hours", () => {
    expect(fmtSample(3, 8)).toBe("3 / 8");
    expect(fmtSample(1234, 56789)).toBe("1,234 / 56,789");
    expect(fmtSample(null, 8)).toBe("–");
    expect(fmtChange(-0.383)).toBe("−38 %");
    expect(fmtChange(0.004)).toBe("+0.4 %");
    expect(fmtChange(0)).toBe("0 %");
    expect(fmtChange(null)).toBe("–");
    expect([0.4, -0.06, -0.004].map(fmtShare)).toEqual(["40 %", "−6 %", "0 %"]);
    expect(fmtZ(-4.23)).toBe("−4.2");
    expect(fmtZ(undefined)).toBe("–");
    expect(fmtShortDate("2026-03-03")).toBe("Mar 3");
    expect(fmtHourRange(10, 16)).toBe("10:00–16:00");
    expect(fmtValue(undefined, "ratio")).toBe("–");
    expect(fmtValue(Number.NaN, "count")).toBe("–");
  });
});

describe("the words every surface shares", () => {
  it("a metric's kind comes from its definition, never from its name", () => {
    expect(kindOf({ metric: "signup_conversion_rate", kind: "ratio" })).toBe("ratio");
    // A count whose name ends in _rate is still a count.
    expect(kindOf({ metric: "error_rate" }, { error_rate: "count" })).toBe("count");
    expect(kindOf({ metric: "signup_conversion_rate" }, { signup_conversion_rate: "ratio" })).toBe("ratio");
    expect(kindOf({ metric: "unknown_rate" })).toBe("count");
  });

  it("a change in a sentence", () => {
    expect(fmtMoved(-0.383)).toBe("fell 38 %");
    expect(fmtMoved(0.004)).toBe("rose 0.4 %");
    expect(fmtMoved(null)).toBe("");
  });
});

describe("the formatters that replaced local copies (quality, canary, CLI, issues)", () => {
  it("a proportion or threshold keeps at most two decimals; a check value shows as stored, none as a dash", () => {
    expect(fmtFraction(1 / 3)).toBe("33.33 %");
    expect(fmtFraction(0.5)).toBe("50 %");
    expect(fmtFraction(0.001)).toBe("0.1 %");
    expect(fmtFraction(0)).toBe("0 %");
    expect(fmtCheckValue(0.62)).toBe("0.62");
    expect(fmtCheckValue(0)).toBe("0");
    expect(fmtCheckValue(null)).toBe("–");
    expect(fmtCheckValue("")).toBe("–");
  });

  it("hours as ranges, a p-value, an age and a segment", () => {
    expect(fmtHours([8, 9, 10, 14])).toBe("08:00–11:00, 14:00–15:00");
    expect(fmtHours([])).toBe("none");
    expect(fmtP(0.0123)).toBe("0.012");
    expect(fmtP(3e-7)).toBe("3.0 × 10^-7");
    expect(fmtP(null)).toBe("–");
    expect(fmtAge(26.4)).toBe("26 h old");
    expect(fmtAge(null)).toBe("unknown age");
    expect(segmentLabel({ dimension: "dim_device_brand", value: "iPhone" })).toBe("device iPhone");
    expect(segmentLabel({ dimension: "dim_custom", value: "x" })).toBe("dim_custom x");
  });
});
