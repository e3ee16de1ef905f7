/**
 * The site's own day (docs/ingest.md, "Time zones"): ds is the calendar day
 * of the dataset's zone, event_hour its wall-clock hour, and DST days of 23
 * and 25 hours pass the completeness checks like any other day.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFixtures, type FixtureOptions } from "../../src/fixtures/generate.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig, parseConfig, resolveDataset, type DatasetConfig } from "../../src/config/load.js";
import { openDb, type DB } from "../../src/store/db.js";
import { addDays } from "../../src/shared/dates.js";
import type { IngestResult } from "../../src/shared/types.js";

/** Generates `days` days ending at `end` and ingests the same weekday of the four weeks before it, then `end` itself. */
async function dayWithHistory(cfg: DatasetConfig, end: string, opts: Partial<FixtureOptions>): Promise<{ db: DB; result: IngestResult }> {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-tz-"));
  const files = await generateFixtures({ outDir: dir, days: 29, eventsPerDay: 4500, end, seed: 11, ...opts });
  const db = openDb(join(dir, "g.db"));
  let result: IngestResult | null = null;
  for (let w = 4; w >= 0; w--) {
    const f = files.find((x) => x.ds === addDays(end, -7 * w))!;
    result = await ingestFiles(db, cfg, [f.path], { now: new Date("2026-12-01T00:00:00Z") });
    expect(result.rows_rejected, `${f.ds} rejected rows`).toBe(0);
    expect(result.published, `${f.ds}: ${result.checks.filter((c) => c.status === "fail").map((c) => c.message).join(" ")}`).toBe(true);
  }
  return { db, result: result! };
}

function hours(db: DB, ds: string): number[] {
  const h = new Array<number>(24).fill(0);
  const rows = db
    .prepare(`SELECT event_hour, SUM(m_total_events) AS n FROM published_agg WHERE ds = ? AND aggregation_level = 'overall' GROUP BY event_hour`)
    .all(ds) as { event_hour: number; n: number }[];
  for (const r of rows) h[r.event_hour] = r.n;
  return h;
}

const zone = (timezone: string, naive?: "utc") => resolveDataset(parseConfig({ timezone, ...(naive ? { naive_timestamps: naive } : {}) }), "default");
const statusOf = (r: IngestResult, name: string) => r.checks.find((c) => c.name === name)!.status;

describe("time zones", () => {
  it("takes a Pacific day of naive local timestamps whole, with hours on the local clock (spring forward: 23 hours, no 02:00)", async () => {
    const la = zone("America/Los_Angeles");
    const { db, result } = await dayWithHistory(la, "2026-03-08", { timezone: "America/Los_Angeles", timestamps: "naive" });
    for (const name of ["day_volume", "hour_coverage", "hour_distribution"]) expect(statusOf(result, name), name).toBe("pass");
    const h = hours(db, "2026-03-08");
    expect(h[2]).toBe(0);
    expect(h[1]).toBeGreaterThan(0);
    expect(h[3]).toBeGreaterThan(0);
    // Naive local 00:00 is 08:00Z: the first stored event is after it, the last before 07:00Z the next day.
    const span = db.prepare(`SELECT MIN(event_timestamp) AS a, MAX(event_timestamp) AS b FROM published_events WHERE ds = '2026-03-08'`).get() as { a: string; b: string };
    expect(span.a >= "2026-03-08T08:00:00").toBe(true);
    expect(span.b < "2026-03-09T07:00:00").toBe(true);
  }, 120_000);

  it("gives the fall-back day (25 hours) two hours' worth of events at 01:00 without calling it odd", async () => {
    const la = zone("America/Los_Angeles");
    const { db, result } = await dayWithHistory(la, "2026-11-01", { timezone: "America/Los_Angeles", timestamps: "offset" });
    for (const name of ["day_volume", "hour_coverage", "hour_distribution"]) expect(statusOf(result, name), name).toBe("pass");
    const fall = hours(db, "2026-11-01");
    const before = hours(db, "2026-10-25");
    const share = (h: number[], i: number) => h[i] / h.reduce((s, x) => s + x, 0);
    expect(share(fall, 1) / share(before, 1)).toBeGreaterThan(1.5);
  }, 120_000);

  it("reads offsets and Z alike in Berlin, where the spring change skips 02:00", async () => {
    const berlin = zone("Europe/Berlin");
    const { db, result } = await dayWithHistory(berlin, "2026-03-29", { timezone: "Europe/Berlin", timestamps: "utc" });
    expect(statusOf(result, "hour_coverage")).toBe("pass");
    expect(hours(db, "2026-03-29")[2]).toBe(0);
    // Berlin's 2026-03-29 starts at 23:00Z the day before: those rows are inside the day, not outside it.
    const early = db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = '2026-03-29' AND event_timestamp < '2026-03-29'`).get() as { n: number };
    expect(early.n).toBeGreaterThan(0);
  }, 120_000);

  it("keeps UTC-cut exports working by default, and rejects a Pacific export read as UTC with the day's bounds in the sentence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-tz-"));
    const [f] = await generateFixtures({ outDir: dir, days: 1, eventsPerDay: 500, end: "2026-05-05", timezone: "America/Los_Angeles", timestamps: "utc" });
    const utc = await ingestFiles(openDb(join(dir, "utc.db")), defaultDatasetConfig(), [f.path]);
    expect(utc.published).toBe(false);
    expect(utc.rejects_sample[0].reason).toMatch(/^event_timestamp 2026-05-06T0\d:\d\d:\d\d\.\d{3}Z is outside the partition day 2026-05-05 \(UTC\)\.$/);
    const la = await ingestFiles(openDb(join(dir, "la.db")), zone("America/Los_Angeles"), [f.path]);
    expect(la).toMatchObject({ published: true, rows_rejected: 0 });
  }, 60_000);

  it("reads naive timestamps as UTC when the dataset says naive_timestamps: utc", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guardrail-tz-"));
    const [f] = await generateFixtures({ outDir: dir, days: 1, eventsPerDay: 300, end: "2026-05-05", timestamps: "naive", timezone: "UTC" });
    const r = await ingestFiles(openDb(join(dir, "g.db")), zone("America/Los_Angeles", "utc"), [f.path]);
    // Naive times are UTC here, so the UTC day's evening falls into the Pacific day after.
    expect(r.published).toBe(false);
    expect(r.rejects_sample[0].reason).toMatch(/outside the partition day 2026-05-05 in America\/Los_Angeles \(2026-05-05T07:00Z to 2026-05-06T07:00Z\)/);
  }, 60_000);
});
