import { describe, expect, it } from "vitest";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { thresholdsOf } from "../../src/evaluate/evaluate.js";
import { canaryStatus, judgeCanary, neededDenominator, type CanaryMetricResult } from "../../src/canary/judge.js";
import type { VersionHourRow } from "../../src/store/canary.js";

const SHA = "abc1234def";

/** Rows of one (version, hour): page visits, signups, purchases. */
function slice(version: string | null, hour: number, hits: number, signups: number, purchases: number): VersionHourRow[] {
  return [
    { version, hour, action: "page_visit", events: hits },
    { version, hour, action: "signup", events: signups },
    { version, hour, action: "purchase", events: purchases },
  ];
}

function run(rows: VersionHourRow[], cfg = defaultDatasetConfig()) {
  return judgeCanary({ rows, sideOf: (r) => (r.version === SHA ? "canary" : "rest"), metrics: cfg.metrics, thresholdsOf: (m) => thresholdsOf(cfg, m) });
}

const metric = (out: { metrics: CanaryMetricResult[] }, name: string) => out.metrics.find((m) => m.metric === name)!;

describe("canary judge", () => {
  it("fails a −40 % signup conversion against the rest of the same hours, ignoring the other hours", () => {
    const out = run([
      ...slice(SHA, 10, 5_000, 120, 12),
      ...slice(SHA, 11, 5_000, 120, 12),
      ...slice(null, 10, 45_000, 1_800, 180),
      ...slice("v1", 11, 45_000, 1_800, 180),
      // Outside the build's hours: a terrible hour that must not enter the rest.
      ...slice(null, 3, 1_000, 0, 0),
    ]);
    expect(out.hours).toEqual([10, 11]);
    expect(out.canary_events).toBe(10_264);
    expect(out.rest_events).toBe(2 * 46_980);
    expect(out.day_events).toBe(10_264 + 2 * 46_980 + 1_000);
    const s = metric(out, "signup_conversion_rate");
    expect(s.canary).toEqual({ num: 240, den: 10_000 });
    expect(s.rest).toEqual({ num: 3_600, den: 90_000 });
    expect(s.observed).toBeCloseTo(0.024, 10);
    expect(s.expected).toBeCloseTo(0.04, 10);
    expect(s.change).toBeCloseTo(-0.4, 10);
    expect(s.method).toBe("fisher");
    expect(s.z!).toBeLessThan(-7);
    expect(s.verdict).toBe("fail");
    // Purchases per signup are equal (10 %), and 240 signups are far from the 8,100 / (1 − 240/3,840) = 8,640 a 10 % decline needs.
    const p = metric(out, "purchase_conversion_rate");
    expect(p.change).toBeCloseTo(0, 10);
    expect(p.needed_denominator).toBe(8_640);
    expect(p.verdict).toBe("low_traffic");
    expect(out.status).toBe("fail");
  });

  it("says how much more traffic 30 visitors would need to show a 10 % decline", () => {
    const out = run([...slice(SHA, 14, 78, 3, 0), ...slice(null, 14, 100_000, 4_000, 400)]);
    const s = metric(out, "signup_conversion_rate");
    expect(s.verdict).toBe("low_traffic");
    // n = 0.04 · 0.96 / ((0.04 · 0.1 / 3)² · (1 − 78/100,078)) = 21,600 · 100,078 / 100,000 = 21,616.8, so 21,617.
    expect(s.needed_denominator).toBe(21_617);
    expect(s.more_denominator).toBe(21_617 - 78);
    expect(s.denominator_metric).toBe("website_hits");
    expect(out.status).toBe("low_traffic");
  });

  it("judges a healthy canary with enough traffic: no decline", () => {
    const rows = [...slice(SHA, 12, 30_000, 1_200, 120), ...slice(null, 12, 270_000, 10_800, 1_080)];
    const out = run(rows);
    expect(metric(out, "signup_conversion_rate").verdict).toBe("no_decline");
    expect(metric(out, "signup_conversion_rate").more_denominator).toBe(0);
    // 30,000 page visits ≥ 21,600 / (1 − 0.1) = 24,000; 1,200 signups < 8,100 / 0.9 = 9,000 for purchases per signup.
    expect(metric(out, "signup_conversion_rate").needed_denominator).toBe(24_000);
    expect(metric(out, "purchase_conversion_rate").verdict).toBe("low_traffic");
    expect(metric(out, "purchase_conversion_rate").needed_denominator).toBe(9_000);
    expect(out.status).toBe("low_traffic");
    // A repo that does not enforce purchase conversion gets "no decline" for the whole canary.
    const cfg = defaultDatasetConfig();
    const only = { ...cfg, metrics: cfg.metrics.map((m) => (m.name === "purchase_conversion_rate" ? { ...m, enforce: false } : m)) };
    const judged = run(rows, only);
    expect(judged.metrics.map((m) => m.metric)).toEqual(["signup_conversion_rate"]);
    expect(judged.status).toBe("no_decline");
  });

  it("counts a significant but small decline as a warning, not a failure", () => {
    // −5 % on 200,000 hits: significant, not material (min_relative_change 10 %).
    const out = run([...slice(SHA, 9, 200_000, 7_600, 760), ...slice(null, 9, 800_000, 32_000, 3_200)]);
    const s = metric(out, "signup_conversion_rate");
    expect(s.change).toBeCloseTo(-0.05, 10);
    expect(s.z!).toBeLessThan(-3);
    expect(s.verdict).toBe("warn");
  });

  it("does not judge count guardrails or a build that served all traffic of its hours; an increase can be the bad direction", () => {
    const cfg = resolveDataset(
      parseConfig({
        metrics: [
          { kind: "count", name: "website_hits", actions: ["page_visit"] },
          { kind: "count", name: "signups", actions: ["signup"], guardrail: true },
          { kind: "count", name: "errors", actions: ["purchase"] },
          { kind: "ratio", name: "error_rate", numerator: "errors", denominator: "website_hits", guardrail: true, bad_direction: "increase" },
        ],
      }),
      "default",
    );
    const out = run([...slice(SHA, 8, 10_000, 0, 300), ...slice(null, 8, 90_000, 0, 900)], cfg);
    expect(metric(out, "signups")).toMatchObject({ verdict: "not_judged", reason: "count_metric" });
    const e = metric(out, "error_rate");
    expect(e.change).toBeCloseTo(2, 10);
    expect(e.z!).toBeGreaterThan(3);
    expect(e.verdict).toBe("fail");
    const alone = run(slice(SHA, 8, 10_000, 0, 300), cfg);
    expect(metric(alone, "error_rate")).toMatchObject({ verdict: "not_judged", reason: "no_rest" });
    expect(alone.status).toBe("not_judged");
  });

  it("needs no volume floor: 0 signups in 600 visits against 4 % is already significant", () => {
    const out = run([...slice(SHA, 15, 600, 0, 0), ...slice(null, 15, 50_000, 2_000, 200)]);
    const s = metric(out, "signup_conversion_rate");
    // Fisher: P(0 of 600 | 2,000 of 50,600) ≈ (1 − 0.0395)^600 ≈ 3e-11.
    expect(s.p!).toBeLessThan(1e-9);
    expect(s.verdict).toBe("fail");
  });

  it("ranks statuses fail, warn, low traffic, no decline", () => {
    const m = (verdict: CanaryMetricResult["verdict"]) => ({ verdict }) as CanaryMetricResult;
    expect(canaryStatus([m("no_decline"), m("low_traffic")])).toBe("low_traffic");
    expect(canaryStatus([m("no_decline"), m("warn"), m("low_traffic")])).toBe("warn");
    expect(canaryStatus([m("fail"), m("warn")])).toBe("fail");
    expect(canaryStatus([m("not_judged"), m("no_decline")])).toBe("no_decline");
    expect(canaryStatus([])).toBe("not_judged");
  });

  it("neededDenominator: s²·(1 − p) / (p·δ²·(1 − share)), null when the rate is 0", () => {
    expect(neededDenominator(0, 0.1, 0.1, 3)).toBeNull();
    // 9 · 0.96 / (0.04 · 0.01) = 21,600 for a build with a negligible share; twice that at half the traffic.
    expect(neededDenominator(0.04, 0, 0.1, 3)).toBe(21_600);
    expect(neededDenominator(0.04, 0.5, 0.1, 3)).toBe(43_200);
    // A 20 % decline needs a quarter of it.
    expect(neededDenominator(0.04, 0, 0.2, 3)).toBe(5_400);
  });
});
