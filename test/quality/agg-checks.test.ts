import path from "node:path";
import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/aggregate/aggregator.js";
import { defaultDatasetConfig, parseConfig, resolveDataset } from "../../src/config/load.js";
import { jensenShannon, runAggChecks } from "../../src/quality/agg-checks.js";
import { openDb, type DB } from "../../src/store/db.js";
import { createBatch, insertAggRows, publishBatch } from "../../src/store/partitions.js";
import { addDays } from "../../src/shared/dates.js";
import type { AggRow, EventRow } from "../../src/shared/types.js";
import { makeEvents, tmpDir } from "../aggregate/helpers.js";

const DS = "2024-05-07"; // a Tuesday

function rowsOf(events: EventRow[], channels: string[], ds = DS): AggRow[] {
  const agg = new Aggregator();
  events.forEach((e) => agg.add(e));
  return agg.rows(ds);
}

/** Events whose hours follow `weight(hour)`. */
function shaped(ds: string, n: number, seed: number, weight: (h: number) => number) {
  const { events, channels } = makeEvents(ds, n, seed);
  const cum: number[] = [];
  let s = 0;
  for (let h = 0; h < 24; h++) cum.push((s += weight(h)));
  events.forEach((e, i) => {
    const x = ((i * 0.6180339887) % 1) * s;
    const hour = cum.findIndex((c) => x < c);
    e.event_ms = Date.parse(`${ds}T00:00:00Z`) + hour * 3_600_000 + (i % 3_600_000);
  });
  return { events, channels };
}

function publishDay(db: DB, ds: string, rows: AggRow[]): void {
  const id = createBatch(db, { dataset: "default", ds, kind: "agg" });
  insertAggRows(db, id, rows.map((r) => ({ ...r, ds })));
  publishBatch(db, id);
}

const byName = (checks: ReturnType<typeof runAggChecks>, name: string) => checks.find((c) => c.name === name)!;

describe("runAggChecks", () => {
  const db = openDb(path.join(tmpDir(), "g.db"));
  const cfg = defaultDatasetConfig();

  it("passes rollups that agree and fails a level with more (or fewer) events than overall, naming it", () => {
    const { events, channels } = makeEvents(DS, 600, 2);
    const rows = rowsOf(events, channels);
    const ok = byName(runAggChecks(db, cfg, DS, rows), "rollup_consistency");
    expect(ok.status).toBe("pass");
    expect(ok.table).toBe("agg_website_events");
    const target = rows.findIndex((r) => r.aggregation_level === "country");
    const bad = rows.map((r, i) => (i === target ? { ...r, m_total_events: r.m_total_events + 5 } : r));
    const fail = byName(runAggChecks(db, cfg, DS, bad), "rollup_consistency");
    expect(fail.status).toBe("fail");
    expect(fail.severity).toBe("error");
    expect(fail.observed).toBe(5);
    expect(fail.message).toMatch(/country has \d+ \(more than overall by 5\)/);
    const noOverall = byName(runAggChecks(db, cfg, DS, rows.filter((r) => r.aggregation_level !== "overall")), "rollup_consistency");
    expect(noOverall.status).toBe("fail");
  });

  it("fails m_total_events under the configured minimum per level", () => {
    const strict = resolveDataset(parseConfig({ checks: { min_events: { per_level: { "*": 10, daily: 1000 } } } }), "default");
    const { events, channels } = makeEvents(DS, 300, 4);
    const checks = runAggChecks(db, strict, DS, rowsOf(events, channels));
    const c = byName(checks, "min_events");
    expect(c.status).toBe("fail");
    expect(c.message).toContain("daily has 300 (minimum 1,000)");
    expect(byName(runAggChecks(db, cfg, DS, rowsOf(events, channels)), "min_events").status).toBe("pass");
    expect(byName(runAggChecks(db, cfg, DS, []), "min_events").status).toBe("fail");
  });

  it("compares the hourly shape with the same weekday's history, the bar learnt from that history, skipping when there is too little data", () => {
    const daytime = (h: number) => (h >= 8 && h <= 20 ? 10 : 2);
    const first = shaped(DS, 3000, 1, daytime);
    const skipped = byName(runAggChecks(db, cfg, DS, rowsOf(first.events, first.channels)), "hour_distribution");
    expect(skipped.status).toBe("skipped");
    expect(skipped.message).toMatch(/Not enough history/);

    for (const w of [1, 2]) {
      const d = addDays(DS, -7 * w);
      const h = shaped(d, 3000, 10 + w, daytime);
      publishDay(db, d, rowsOf(h.events, h.channels, d));
    }
    // Two days are too few to learn how much the shape ordinarily moves.
    expect(byName(runAggChecks(db, cfg, DS, rowsOf(first.events, first.channels)), "hour_distribution").message).toMatch(
      /^Not judged: 2 previous Tuesday\(s\) are published complete, 3 needed/,
    );
    const third = addDays(DS, -21);
    const h3 = shaped(third, 3000, 13, daytime);
    publishDay(db, third, rowsOf(h3.events, h3.channels, third));
    // Another weekday's data is not history for a Tuesday.
    const monday = addDays(DS, -1);
    const night = shaped(monday, 3000, 3, (h) => (h < 6 ? 10 : 1));
    publishDay(db, monday, rowsOf(night.events, night.channels, monday));

    const same = byName(runAggChecks(db, cfg, DS, rowsOf(first.events, first.channels)), "hour_distribution");
    expect(same.status).toBe("pass");
    expect(same.message).toMatch(/3 previous Tuesday/);

    const moved = shaped(DS, 3000, 2, (h) => (h < 6 ? 10 : 1));
    const c = byName(runAggChecks(db, cfg, DS, rowsOf(moved.events, moved.channels)), "hour_distribution");
    expect(c.status).toBe("fail"); // default severity error: completeness
    expect(Number(c.observed)).toBeGreaterThan(Number(c.threshold));
    expect(c.message).toMatch(/hours that moved most: 0\d:00/);

    // A fixed bar, as before, when configured.
    const fixed = resolveDataset(parseConfig({ checks: { hour_distribution: { max_divergence: 0.9, severity: "warn" } } }), "default");
    const lenient = byName(runAggChecks(db, fixed, DS, rowsOf(moved.events, moved.channels)), "hour_distribution");
    expect(lenient).toMatchObject({ status: "pass", threshold: 0.9 });

    const tiny = shaped(DS, 100, 2, daytime);
    expect(byName(runAggChecks(db, cfg, DS, rowsOf(tiny.events, tiny.channels)), "hour_distribution").message).toMatch(/Not enough events/);
  });

  it("Jensen–Shannon is 0 for equal shapes, 1 for disjoint ones, and finite with empty hours", () => {
    const a = Array.from({ length: 24 }, (_, h) => h + 1);
    expect(jensenShannon(a, a.map((x) => x * 3), 0)).toBeCloseTo(0, 12);
    const left = a.map((_, h) => (h < 12 ? 100 : 0));
    const right = a.map((_, h) => (h < 12 ? 0 : 100));
    expect(jensenShannon(left, right, 0)).toBeCloseTo(1, 12);
    const smoothed = jensenShannon(left, right, 1);
    expect(smoothed).toBeGreaterThan(0.5);
    expect(smoothed).toBeLessThan(1);
  });
});
