import { describe, expect, it } from "vitest";
import { canaryGateReason, canarySection, canarySentence, canaryTitle, fmtHours, moreTrafficText } from "../../src/present/canary.js";
import type { CanaryJudgement, CanaryMetricResult } from "../../src/canary/index.js";

const signup: CanaryMetricResult = {
  metric: "signup_conversion_rate",
  bad_direction: "decrease",
  verdict: "fail",
  reason: null,
  canary: { num: 120, den: 5_000 },
  rest: { num: 1_800, den: 45_000 },
  observed: 0.024,
  expected: 0.04,
  change: -0.4,
  z: -6.04,
  p: 7.7e-10,
  method: "fisher",
  min_relative_change: 0.1,
  sensitivity: 3,
  needed_denominator: 24_000,
  more_denominator: 19_000,
  denominator_metric: "website_hits",
};

const judgement = (metrics: CanaryMetricResult[], status: CanaryJudgement["status"]): CanaryJudgement => ({
  dataset: "default",
  ds: "2026-11-18",
  sha: "a1b2c3d4".padEnd(40, "0"),
  versions: ["a1b2c3d4"],
  visitors: 1_900,
  status,
  hours: [8, 9, 10, 11, 15],
  canary_events: 6_000,
  rest_events: 54_000,
  day_events: 60_000,
  metrics,
});

describe("canary wording", () => {
  it("writes hour ranges that end where their last hour ends", () => {
    expect(fmtHours([8, 9, 10, 11, 15])).toBe("08:00–12:00, 15:00–16:00");
    expect(fmtHours([23])).toBe("23:00–24:00");
    expect(fmtHours([])).toBe("none");
  });

  it("a failing canary: title, section with the numbers, and the gate's reason", () => {
    const j = judgement([signup], "fail");
    expect(canaryTitle(j)).toBe("Canary fails: signup_conversion_rate −40 % (z = −6.0) on this PR's traffic, 08:00–12:00, 15:00–16:00 UTC on 2026-11-18");
    const md = canarySection(j);
    expect(md).toContain("This PR's build (`a1b2c3d4`) served 10 % of the events of 2026-11-18 (≈ 1,900 visitors), 10 % of the events in the hours compared.");
    expect(md).toContain("| signup_conversion_rate | 2.40 % (120 / 5,000) | 4.00 % (1,800 / 45,000) | −40 % | −6.0 | ❌ fail |");
    expect(md).toContain("exact p = 7.7 × 10^-10");
    expect(canaryGateReason(j)).toBe(
      "The canary of this commit failed on 2026-11-18: signup_conversion_rate −40 % (2.40 % vs 4.00 %, z = −6.0) against the rest of the traffic of the same hours (08:00–12:00, 15:00–16:00 UTC).",
    );
  });

  it("names the hours in the dataset's time zone, since event_hour is its wall-clock hour", () => {
    const j = { ...judgement([signup], "fail"), timezone: "Europe/Berlin" };
    expect(canarySection(j)).toContain("**Hours compared**: 08:00–12:00, 15:00–16:00 Europe/Berlin. Each guardrail");
    expect(canaryTitle(j)).toBe("Canary fails: signup_conversion_rate −40 % (z = −6.0) on this PR's traffic, 08:00–12:00, 15:00–16:00 Europe/Berlin on 2026-11-18");
    expect(canarySentence(j)).toContain("(08:00–12:00, 15:00–16:00 Europe/Berlin on 2026-11-18)");
    expect(canaryGateReason(j)).toMatch(/the same hours \(08:00–12:00, 15:00–16:00 Europe\/Berlin\)\.$/);
    // A judgement stored before the zone was recorded reads as UTC, as the dataset default.
    expect(canarySection(judgement([signup], "fail"))).toContain("**Hours compared**: 08:00–12:00, 15:00–16:00 UTC.");
  });

  it("too little traffic: how much more of the denominator, and about how many visitors", () => {
    const low = { ...signup, verdict: "low_traffic" as const, canary: { num: 3, den: 78 }, observed: 3 / 78, change: -0.04, more_denominator: 21_539 };
    const j = { ...judgement([low], "low_traffic"), visitors: 30 };
    // 21,539 page visits at 30 visitors per 78 page visits ≈ 8,285 visitors.
    expect(moreTrafficText(low, j)).toBe(
      "signup_conversion_rate needs about 21,539 more website_hits (≈ 8,285 more visitors) on this build, at its share of the traffic, to show a 10 % decline of signup_conversion_rate (it has 78)",
    );
    expect(canarySentence(j)).toMatch(/^Canary not judged yet, too little traffic: signup_conversion_rate needs about 21,539/);
    expect(canaryTitle(j)).toBe("canary needs more traffic");
    expect(canarySentence(judgement([{ ...signup, verdict: "no_decline" }], "no_decline"))).toBe("Canary judged: no decline.");
  });
});
