import { describe, expect, it } from "vitest";
import { dayClock, dsInZone, hoursSinceZoneDayEnd, isTimeZone, localHour, localToUtcMs, zoneOffsetMs } from "../../src/shared/dates.js";

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string) => Date.parse(s);

describe("a dataset's own day", () => {
  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("America/Los_Angeles")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });

  it("gives an ordinary Pacific day its bounds, 24 hours of one offset", () => {
    const c = dayClock("2026-05-01", "America/Los_Angeles");
    expect(iso(c.start)).toBe("2026-05-01T07:00:00.000Z");
    expect(iso(c.end)).toBe("2026-05-02T07:00:00.000Z");
    expect(c.hours).toBe(24);
    expect(c.hourLengths).toEqual(new Array(24).fill(1));
    expect(zoneOffsetMs(c.start, "America/Los_Angeles")).toBe(-7 * 3_600_000);
  });

  it("makes the US spring-forward day 23 hours long, with no 02:00 hour", () => {
    const c = dayClock("2026-03-08", "America/Los_Angeles");
    expect(iso(c.start)).toBe("2026-03-08T08:00:00.000Z");
    expect(iso(c.end)).toBe("2026-03-09T07:00:00.000Z");
    expect(c.hours).toBe(23);
    expect(c.hourLengths[2]).toBe(0);
    expect(c.hourLengths.reduce((s, x) => s + x, 0)).toBe(23);
    expect(c.segments.map((s) => [iso(s.from), s.offset / 3_600_000])).toEqual([
      ["2026-03-08T08:00:00.000Z", -8],
      ["2026-03-08T10:00:00.000Z", -7],
    ]);
    expect(localHour(c, ms("2026-03-08T09:59:59.999Z"))).toBe(1);
    expect(localHour(c, ms("2026-03-08T10:00:00Z"))).toBe(3);
    // A naive 02:30 (a time the clocks skipped) is read with the offset before the change.
    expect(iso(localToUtcMs(ms("2026-03-08T02:30:00Z"), "America/Los_Angeles"))).toBe("2026-03-08T10:30:00.000Z");
  });

  it("makes the US fall-back day 25 hours long, its 01:00 hour twice as long", () => {
    const c = dayClock("2026-11-01", "America/Los_Angeles");
    expect(c.hours).toBe(25);
    expect(c.hourLengths[1]).toBe(2);
    expect(localHour(c, ms("2026-11-01T08:30:00Z"))).toBe(1);
    expect(localHour(c, ms("2026-11-01T09:30:00Z"))).toBe(1);
    // An ambiguous naive 01:30 is its first occurrence (daylight time).
    expect(iso(localToUtcMs(ms("2026-11-01T01:30:00Z"), "America/Los_Angeles"))).toBe("2026-11-01T08:30:00.000Z");
    expect(dsInZone(ms("2026-11-02T07:59:59Z"), "America/Los_Angeles")).toBe("2026-11-01");
    expect(dsInZone(ms("2026-11-02T08:00:00Z"), "America/Los_Angeles")).toBe("2026-11-02");
  });

  it("handles Berlin's changes at 02:00 and 03:00 local", () => {
    const spring = dayClock("2026-03-29", "Europe/Berlin");
    expect(spring.hours).toBe(23);
    expect(spring.hourLengths[2]).toBe(0);
    expect(iso(spring.start)).toBe("2026-03-28T23:00:00.000Z");
    const fall = dayClock("2026-10-25", "Europe/Berlin");
    expect(fall.hours).toBe(25);
    expect(fall.hourLengths[2]).toBe(2);
    expect(iso(fall.end)).toBe("2026-10-25T23:00:00.000Z");
  });

  it("keeps UTC days exactly as before", () => {
    const c = dayClock("2026-03-08", "UTC");
    expect(iso(c.start)).toBe("2026-03-08T00:00:00.000Z");
    expect(c.hours).toBe(24);
    expect(localHour(c, ms("2026-03-08T13:59:00Z"))).toBe(13);
    expect(hoursSinceZoneDayEnd("2026-03-08", "UTC", new Date("2026-03-09T06:00:00Z"))).toBe(6);
    expect(hoursSinceZoneDayEnd("2026-03-08", "America/Los_Angeles", new Date("2026-03-09T06:00:00Z"))).toBe(-1);
  });
});
