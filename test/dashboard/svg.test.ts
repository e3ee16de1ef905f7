import { describe, expect, it } from "vitest";
import { barChart, timeChart } from "../../src/dashboard/svg.js";
import { collapseIsSignificant, deployKind, intradayHours, localDayHour } from "../../src/dashboard/data.js";
import type { Verdict } from "../../src/shared/types.js";

describe("breakdown bars", () => {
  const bars = [
    { label: "MX", value: 3 / 8, numerator: 3, denominator: 8, expected: 0.1, tooSmall: true },
    { label: "US", value: 0.05, numerator: 500, denominator: 10_000, expected: 0.06, tooSmall: false },
  ];

  it("a rate from 3 / 8 says so, is grey, and does not top the chart", () => {
    const svg = barChart("b0", "purchase_conversion_rate by country", bars, "ratio");
    const groups = [...svg.matchAll(/<g([^>]*)><title>([^<]*)<\/title>/g)].map((m) => ({ attrs: m[1]!, title: m[2]! }));
    expect(groups.map((g) => g.title.split(":")[0])).toEqual(["US", "MX"]);
    expect(groups[1]!.attrs).toContain(`data-small="true"`);
    expect(groups[0]!.attrs).not.toContain("data-small");
    expect(svg).toContain("37.50 % · 3 / 8 · too small to judge");
    expect(svg).toContain("5.00 % · 500 / 10,000<");
  });

  it("the expected marker sits at the expected value on the same scale as the bars", () => {
    const svg = barChart("b0", "t", bars, "ratio");
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const marks = [...svg.matchAll(/<line x1="([\d.]+)"[^>]*class="exp-mark"/g)].map((m) => Number(m[1]));
    const [x0, wUs] = rects[0]!;
    const perUnit = wUs! / 0.05;
    expect(marks[0]! - x0!).toBeCloseTo(0.06 * perUnit, 0);
    expect(marks[1]! - x0!).toBeCloseTo(0.1 * perUnit, 0);
  });
});

describe("time chart", () => {
  it("a single judged day still gets an axis and its normal range", () => {
    const svg = timeChart({
      id: "c0",
      title: "t",
      desc: "d",
      kind: "count",
      days: ["2026-03-10"],
      selectedDs: "2026-03-10",
      series: [{ ds: "2026-03-10", value: 90, numerator: null, denominator: null, band: { expected: 100, lower: 80, upper: 120 }, verdict: "pass", source: "evaluation" }],
    });
    expect(svg).toContain(`class="band"`);
    expect(svg).toContain("Mar 10");
  });
});

describe("reading the data", () => {
  const v = (extra: object) => ({ metric: "m", segments: [], ...extra }) as unknown as Verdict;
  it("reads the hours the intraday rule named from the verdict, and nothing else", () => {
    expect(intradayHours(v({ hourly: { from: 10, to: 16, observed: 0, expected: 41, change: -1, z: -7.9, threshold: 4.3 } }))).toEqual({ from: 10, to: 16 });
    expect(intradayHours(v({}))).toBeNull();
    expect(intradayHours(v({ hourly: null }))).toBeNull();
    expect(intradayHours(v({ hourly: { from: 16, to: 10, observed: 0, expected: 1, change: -1, z: -5, threshold: 4 } }))).toBeNull();
    expect(intradayHours(undefined)).toBeNull();
  });

  it("names a deployment production, canary or preview: the repository's lists first, then the name", () => {
    const lists = { production: ["live"], canary: ["eu-slice"], preview: ["review-app"] };
    expect(deployKind("live", lists)).toBe("production");
    expect(deployKind("eu-slice", lists)).toBe("canary");
    expect(deployKind("review-app", lists)).toBe("preview");
    const none = { production: [], canary: [], preview: [] };
    expect(deployKind("canary", none)).toBe("canary");
    expect(deployKind("pr-42-preview", none)).toBe("preview");
    expect(deployKind("production", none)).toBe("production");
  });

  it("places a deployment on the dataset's own day and hour", () => {
    expect(localDayHour("2026-03-10T03:30:00.000Z", "UTC")).toEqual({ ds: "2026-03-10", hour: 3 });
    expect(localDayHour("2026-03-10T03:30:00.000Z", "America/New_York")).toEqual({ ds: "2026-03-09", hour: 23 });
  });
});

describe("too small to judge", () => {
  it("a segment is judgeable only when even losing everything would be significant", () => {
    // 3 purchases of 8 signups at an expected 10 %: zero purchases happens 43 % of the time.
    expect(collapseIsSignificant("ratio", 8, 0.1, 3)).toBe(false);
    // 236 page visits at 5.5 %: zero signups has a chance of 0.945^236 ≈ 1.6e-6, past Φ(−3) ≈ 0.00135.
    expect(collapseIsSignificant("ratio", 236, 0.055, 3)).toBe(true);
    // Counts: zero where 10 are expected is e^−10 ≈ 4.5e-5; where 5 are, e^−5 ≈ 0.0067.
    expect(collapseIsSignificant("count", 10, 10, 3)).toBe(true);
    expect(collapseIsSignificant("count", 5, 5, 3)).toBe(false);
    expect(collapseIsSignificant("ratio", 1000, null, 3)).toBe(false);
  });
});
