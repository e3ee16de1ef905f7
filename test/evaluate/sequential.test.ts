/** Across days (src/evaluate/sequential.ts): CUSUM, materiality and hysteresis. */
import { describe, expect, it } from "vitest";
import { RECOVERY_EVIDENCE, sequentialState, sustainedZ, type DayScore } from "../../src/evaluate/sequential.js";

const P = { k: 0.5, h: 5, minChange: 0.075, recoverZ: 1, materialChange: 0.1 };
const day = (i: number, badZ: number | null, badChange: number | null, fail = false, marked = false): DayScore => ({ ds: `2026-06-${String(10 + i).padStart(2, "0")}`, badZ, badChange, fail, marked });

describe("sequentialState", () => {
  it("a sustained −2 z a day accumulates 1.5 a day and alarms on day 4 (S = 6 ≥ 5)", () => {
    const days = [0, 1, 2, 3].map((i) => day(i, -2, -0.4));
    expect(sequentialState(days.slice(0, 3), P)).toMatchObject({ cusum: 4.5, alarm: false, failing: false });
    expect(sequentialState(days, P)).toMatchObject({ cusum: 6, alarm: true, failing: true, cause: "sequential", since: "2026-06-13", runDays: 4 });
  });

  it("a significant but small decline never alarms: the days must average a material change", () => {
    const s = sequentialState([0, 1, 2, 3, 4, 5, 6].map((i) => day(i, -3, -0.05)), P);
    expect(s.cusum).toBeGreaterThan(5);
    expect(s.alarm).toBe(false);
    expect(s.failing).toBe(false);
  });

  it("hysteresis: a failure stays until a day shows recovery; one normal day after a −6 z incident is enough", () => {
    expect(sequentialState([day(0, -6, -0.4, true), day(1, 0, 0)], P)).toMatchObject({ failing: false, cusum: 0 });
    // At a small site failing at −2 z, a day at −0.5 is not evidence enough (0.5 < 2): it stays failing.
    const small = [day(0, -2, -0.4, true), day(1, -2, -0.4, true), day(2, -0.5, -0.02)];
    expect(RECOVERY_EVIDENCE).toBe(2);
    expect(sequentialState(small, P)).toMatchObject({ failing: true, cause: "not_recovered", since: "2026-06-10" });
    // Each such day adds −0.5 − (−2)/2 = 0.5: the fourth reaches 2 and recovers.
    const longer = [...small, day(3, -0.5, -0.02), day(4, -0.5, -0.02), day(5, -0.5, -0.02)];
    expect(sequentialState(longer, P).failing).toBe(false);
  });

  it("marked and unjudged days neither accumulate nor end a failure", () => {
    const s = sequentialState([day(0, -6, -0.5, true), day(1, 0, 0, false, true), day(2, null, null)], P);
    expect(s).toMatchObject({ failing: true, cause: "not_recovered" });
  });

  it("the per-day z a sustained decline needs to alarm within 7 days: k + h/7", () => {
    expect(sustainedZ(P, 7)).toBeCloseTo(0.5 + 5 / 7, 12);
  });
});
