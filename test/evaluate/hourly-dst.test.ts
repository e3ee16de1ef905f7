/**
 * The within-day scan on DST days (docs/verdicts.md, "Within the day";
 * docs/ingest.md, "Time zones"): every baseline day is put on the judged day's
 * clock, so a spring-forward day's missing 02:00 and a fall-back day's double
 * 02:00 are not read as a drop, and an outage is named at its local hours.
 * A Berlin site's realistic exports, naive local timestamps.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { judgeDay } from "../../src/evaluate/evaluate.js";
import { addDays, dsToEpochMs } from "../../src/shared/dates.js";
import { AFTER_SPRING, berlinSundays, FALL, SPRING, type DstStore } from "../support/dst-days.js";

const judge = (s: DstStore, ds: string) => {
  const e = judgeDay(s.db, s.cfg, { ds, now: new Date(dsToEpochMs(addDays(ds, 1)) + 6 * 3_600_000), persist: false });
  return (metric: string) => e.verdicts.find((v) => v.metric === metric)!;
};

describe("spring forward (Europe/Berlin 2026-03-29: no 02:00)", () => {
  let s: DstStore;
  beforeAll(async () => {
    // Signups fail from 12:00 to 20:00 local time (a broken form), on the 23-hour day.
    s = await berlinSundays(SPRING, AFTER_SPRING, [{ ds: SPRING, metric: "signup_conversion_rate", change: -1, hours: { from: 12, to: 20 } }]);
  }, 240_000);

  it("does not read the skipped 02:00 as an hour without page visits", () => {
    const v = judge(s, SPRING)("website_hits");
    expect(v.baseline_days).toHaveLength(4);
    expect(v.hourly ?? null).toBeNull();
    expect(v.verdict).not.toBe("fail");
  });

  it("names the outage at its local hours, 12:00–20:00", () => {
    const v = judge(s, SPRING)("signup_conversion_rate");
    expect(v.hourly).toMatchObject({ from: 12, to: 20, observed: 0 });
  });

  it("a week later, the 23-hour day in the baseline does not make 02:00 look odd either", () => {
    const v = judge(s, AFTER_SPRING)("website_hits");
    expect(v.baseline_days).toContain(SPRING);
    expect(v.hourly ?? null).toBeNull();
  });
});

describe("fall back (Europe/Berlin 2026-10-25: 02:00 twice)", () => {
  let s: DstStore;
  beforeAll(async () => {
    s = await berlinSundays(FALL, FALL);
  }, 240_000);

  it("takes the double 02:00 as two hours, with no run of hours called a drop", () => {
    const at = judge(s, FALL);
    for (const metric of ["website_hits", "signup_conversion_rate"]) {
      expect(at(metric).baseline_days, metric).toHaveLength(4);
      expect(at(metric).hourly ?? null, metric).toBeNull();
    }
  });
});
