/**
 * "Today by the hour" on DST days (docs/dashboard.md): a Berlin site's
 * spring-forward day has no 02:00 (no value, no band, marked "skipped"), its
 * fall-back day has 02:00 twice (two hours of traffic, against a band for two
 * hours, marked "twice"), and the Sunday after the spring change does not read
 * the missing hour of its 23-hour baseline day as an empty hour. Built from
 * realistic exports with naive local timestamps; the expected values come from
 * the published aggregate, read here on their own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { median } from "simple-statistics";
import { loadDashboardData, type HourlyChart } from "../../src/dashboard/data.js";
import { renderDashboard } from "../../src/dashboard/render.js";
import type { DB } from "../../src/store/db.js";
import { AFTER_SPRING, berlinSundays, FALL, SPRING, ZONE, type DstStore } from "../support/dst-days.js";

/** Page visits per local hour of a published day, straight from the aggregate. */
function pageVisits(db: DB, ds: string): number[] {
  const h = new Array<number>(24).fill(0);
  const rows = db
    .prepare(`SELECT event_hour, SUM(m_total_events) AS n FROM published_agg WHERE ds = ? AND aggregation_level = 'overall' AND action_type = 'page_visit' GROUP BY event_hour`)
    .all(ds) as { event_hour: number; n: number }[];
  for (const r of rows) h[r.event_hour] = r.n;
  return h;
}

function chart(s: DstStore, ds: string, metric: string): HourlyChart {
  return loadDashboardData(s.db, s.config, { dataset: "default", ds }).hourly.find((h) => h.metric === metric)!;
}

function figure(html: string, metric: string): string {
  const start = html.indexOf(`<figure data-hourly="${metric}">`);
  return html.slice(start, html.indexOf("</figure>", start));
}

describe("spring forward in Europe/Berlin (2026-03-29: 23 hours, no 02:00)", () => {
  let s: DstStore;
  beforeAll(async () => {
    s = await berlinSundays(SPRING, AFTER_SPRING);
  }, 240_000);

  it("shows no value and no band for 02:00, and says the hour was skipped", () => {
    expect(pageVisits(s.db, SPRING)[2]).toBe(0);
    const hits = chart(s, SPRING, "website_hits");
    expect(hits.dst).toEqual({ direction: "forward", hour: 2, hours: 23, timeZone: ZONE });
    expect(hits.hours[2]).toMatchObject({ value: null, band: null, length: 0 });
    // The hour after is an ordinary hour against the same hour of the four Sundays before.
    const base = hits.baselineDays.map((d) => pageVisits(s.db, d)[3]);
    expect(hits.baselineDays).toHaveLength(4);
    expect(hits.hours[3]).toMatchObject({ value: pageVisits(s.db, SPRING)[3], length: 1 });
    expect(hits.hours[3].band!.expected).toBe(median(base));

    const fig = figure(renderDashboard(s.db, s.config, { dataset: "default", ds: SPRING }), "website_hits");
    expect(fig).toContain(`<p class="note" data-dst="forward">Clocks went forward in Europe/Berlin: 02:00 was skipped (a 23-hour day).</p>`);
    expect(fig).toMatch(/<tr data-dst-hour="skipped"><td>02:00–03:00<\/td><td colspan="3">skipped: the clocks went forward<\/td><\/tr>/);
    expect(fig).toMatch(/<rect [^>]*class="dst" data-dst="forward"><title>Clocks went forward/);
    expect(fig).toContain(">02:00 skipped</text>");
    // The rate's chart says it as well, and its table spans the sample column too.
    const rate = figure(renderDashboard(s.db, s.config, { dataset: "default", ds: SPRING }), "signup_conversion_rate");
    expect(rate).toContain(`data-dst="forward"`);
    expect(rate).toContain(`<td colspan="4">skipped: the clocks went forward</td>`);
  });

  it("a week later, the 23-hour baseline day's missing 02:00 is left out of that hour's band instead of counted as 0", () => {
    const hits = chart(s, AFTER_SPRING, "website_hits");
    expect(hits.dst).toBeNull();
    expect(hits.baselineDays).toContain(SPRING);
    const others = hits.baselineDays.filter((d) => d !== SPRING).map((d) => pageVisits(s.db, d)[2]);
    expect(others).toHaveLength(3);
    expect(Math.min(...others)).toBeGreaterThan(0);
    expect(hits.hours[2].band!.expected).toBe(median(others));
    const fig = figure(renderDashboard(s.db, s.config, { dataset: "default", ds: AFTER_SPRING }), "website_hits");
    expect(fig).not.toContain("data-dst");
  });
});

describe("fall back in Europe/Berlin (2026-10-25: 25 hours, 02:00 twice)", () => {
  let s: DstStore;
  beforeAll(async () => {
    s = await berlinSundays(FALL, FALL);
  }, 240_000);

  it("holds two hours of traffic in 02:00, judged against a band for two hours, and says the hour happened twice", () => {
    const today = pageVisits(s.db, FALL);
    const hits = chart(s, FALL, "website_hits");
    expect(hits.dst).toEqual({ direction: "back", hour: 2, hours: 25, timeZone: ZONE });
    const base = hits.baselineDays.map((d) => pageVisits(s.db, d)[2]);
    expect(hits.baselineDays).toHaveLength(4);
    expect(hits.hours[2]).toMatchObject({ value: today[2], length: 2 });
    expect(hits.hours[2].band!.expected).toBe(2 * median(base));
    expect(today[2]).toBeGreaterThanOrEqual(hits.hours[2].band!.lower);
    expect(today[2]).toBeLessThanOrEqual(hits.hours[2].band!.upper);
    // The hours around it are one hour long, on both days.
    expect(hits.hours[1].band!.expected).toBe(median(hits.baselineDays.map((d) => pageVisits(s.db, d)[1])));

    // A rate is not stretched: two hours of visits and two hours of signups.
    const rate = chart(s, FALL, "signup_conversion_rate");
    expect(rate.hours[2].denominator).toBe(today[2]);

    const fig = figure(renderDashboard(s.db, s.config, { dataset: "default", ds: FALL }), "website_hits");
    expect(fig).toContain(
      `<p class="note" data-dst="back">Clocks went back in Europe/Berlin: 02:00 happened twice (a 25-hour day), so that hour holds two hours of traffic and its normal range is for two hours.</p>`,
    );
    expect(fig).toMatch(/<tr data-dst-hour="repeated"><td>02:00–03:00 \(twice: the clocks went back\)<\/td>/);
    expect(fig).toContain(">02:00 twice</text>");
  });
});
