/**
 * Visits and their channels (docs/metrics.md, "Channels and visits"), on the
 * worked example of the docs: one visitor's day, its rows out of order.
 */
import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/aggregate/aggregator.js";
import { attributeVisits } from "../../src/aggregate/visits.js";
import type { EventRow } from "../../src/shared/types.js";

const DS = "2024-05-07";
const at = (hhmm: string) => Date.parse(`${DS}T${hhmm}:00.000Z`);

function event(line: number, visitor: string, hhmm: string, action: string, host: string, props: Record<string, string>): EventRow {
  return { line, user_id: null, logged_out_user_id: visitor, dim_hostname: host, dim_country: "US", dim_device_brand: null, action_type: action, event_ms: at(hhmm), other_properties: props, ds: DS };
}

/** The docs' example: a LinkedIn landing, navigation across the site's hosts, a return from the newsletter, then a late direct return. */
const DAY: EventRow[] = [
  event(1, "7", "09:03", "page_visit", "learn.example.com", { referrer: "https://www.example.com/courses" }),
  event(2, "7", "14:00", "page_visit", "www.example.com", { utm_medium: "email" }),
  event(3, "7", "09:00", "page_visit", "www.example.com", { utm_source: "linkedin", utm_medium: "social" }),
  event(4, "7", "09:20", "signup", "learn.example.com", { referrer: "https://learn.example.com/lessons/7" }),
  event(5, "7", "14:05", "purchase", "www.example.com", { referrer: "https://www.example.com/pricing" }),
  event(6, "7", "20:00", "page_visit", "www.example.com", {}),
  event(7, "8", "10:00", "page_visit", "www.example.com", { utm_medium: "podcast" }),
  event(8, "8", "10:10", "page_visit", "www.example.com", { referrer: "https://www.example.com/" }),
];

function byAction(rows: ReturnType<Aggregator["rows"]>, level: string) {
  return Object.fromEntries(rows.filter((r) => r.aggregation_level === level).map((r) => [`${r.action_type}/${r.dim_channel}`, [r.m_total_events, r.m_visits]]));
}

describe("visits", () => {
  it("give every event its visit's channel, whatever the order of the rows", () => {
    const agg = new Aggregator();
    for (const e of DAY) agg.add(e);
    const rows = agg.rows(DS);
    // Visitor 7: linkedin 09:00–09:20 (3 events), email 14:00–14:05 (2), direct 20:00 (1); visitor 8: other (2).
    expect(byAction(rows, "daily_channel")).toEqual({
      "page_visit/linkedin": [2, 1],
      "signup/linkedin": [1, 0],
      "page_visit/email": [1, 1],
      "purchase/email": [1, 0],
      "page_visit/direct": [1, 1],
      "page_visit/other": [2, 1],
    });
    const total = rows.find((r) => r.aggregation_level === "daily_total")!;
    expect(total.m_visits).toBe(4);
    // Channel breakdowns of visits add up to the total; of visitors, they can exceed it.
    const byChannel = rows.filter((r) => r.aggregation_level === "daily_channel_total");
    expect(byChannel.reduce((s, r) => s + r.m_visits!, 0)).toBe(4);
    expect(byChannel.reduce((s, r) => s + r.m_unique_visitors, 0)).toBe(4);
    expect(total.m_unique_visitors).toBe(2);
    // The raw rows' visit channels, in the order they were added.
    const { codes, values } = agg.visitChannels;
    expect(Array.from(codes, (c) => values[c])).toEqual(["linkedin", "email", "linkedin", "linkedin", "email", "direct", "other", "other"]);
  });

  it("start a new visit at a different outside source within the timeout, not at the same one", () => {
    const agg = new Aggregator();
    [
      event(1, "9", "12:00", "page_visit", "www.example.com", { referrer: "https://t.co/x" }),
      event(2, "9", "12:01", "page_visit", "www.example.com", { referrer: "https://t.co/x" }),
      event(3, "9", "12:02", "page_visit", "www.example.com", { referrer: "https://www.google.com/" }),
      event(4, "9", "12:03", "page_visit", "www.example.com", { referrer: "https://www.example.com/" }),
    ].forEach((e) => agg.add(e));
    const rows = agg.rows(DS).filter((r) => r.aggregation_level === "daily_channel_total");
    expect(Object.fromEntries(rows.map((r) => [r.dim_channel, [r.m_total_events, r.m_visits]]))).toEqual({ x: [2, 1], search: [2, 1] });
  });

  it("follow visit_timeout_minutes and own_hosts from the configuration", () => {
    const events = [
      event(1, "5", "08:00", "page_visit", "www.example.com", { referrer: "https://partner.org/a" }),
      event(2, "5", "08:45", "page_visit", "www.example.com", {}),
    ];
    const count = (channels: object) => {
      const agg = new Aggregator(undefined, { rules: [], direct: "direct", other: "other", visit_timeout_minutes: 30, own_hosts: [], ...channels });
      events.forEach((e) => agg.add(e));
      return Object.fromEntries(agg.rows(DS).filter((r) => r.aggregation_level === "daily_channel_total").map((r) => [r.dim_channel, r.m_visits]));
    };
    expect(count({})).toEqual({ other: 1, direct: 1 });
    expect(count({ visit_timeout_minutes: 60 })).toEqual({ other: 1 });
    expect(count({ own_hosts: ["partner.org"] })).toEqual({ direct: 2 });
  });

  it("keep exact times when a day's events lie weeks apart (timestamp check off)", () => {
    const agg = new Aggregator();
    const far = (line: number, ms: number) => ({ ...event(line, "3", "10:00", "page_visit", "www.example.com", {}), event_ms: at("10:00") + ms });
    // 40 days apart does not fit Int32 milliseconds; the 10-minute gap after it must still be one visit.
    [far(1, 0), far(2, 40 * 86_400_000), far(3, 40 * 86_400_000 + 600_000), far(4, 1000)].forEach((e) => agg.add(e));
    const total = agg.rows(DS).find((r) => r.aggregation_level === "daily_total")!;
    expect(total.m_visits).toBe(2);
  });

  it("order events of the same millisecond: a source before none, so a landing and its page view are one visit", () => {
    const start = Int32Array.from([0, 2]);
    const out = attributeVisits({
      start,
      ms: Float64Array.from([1000, 1000]),
      source: Int32Array.from([-1, 0]),
      rank: Int32Array.from([0]),
      channelOf: Int32Array.from([3]),
      direct: 1,
      timeoutMs: 1_800_000,
    });
    expect(Array.from(out.channel)).toEqual([3, 3]);
    expect(Array.from(out.starts)).toEqual([0, 1]);
  });
});
