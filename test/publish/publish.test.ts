/**
 * The one publish tail (src/publish/publish.ts): which days are published,
 * partial or rejected, the end of a day in its own zone, and that a
 * warehouse-built day gets retention like a raw one (docs/ingest.md,
 * "Retention").
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { openDayReason, publishDecision } from "../../src/publish/publish.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { ingestAggFiles } from "../../src/ingest/ingest-agg.js";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb } from "../../src/store/db.js";
import { publishedBatch } from "../../src/store/partitions.js";
import type { CheckResult } from "../../src/shared/types.js";
import { tmpDir, writeAggExport } from "../ingest/helpers.js";

const cfg = defaultDatasetConfig();

function check(name: string, status: CheckResult["status"], severity: CheckResult["severity"] = "error"): CheckResult {
  return { name, table: "agg_website_events", severity, status, observed: null, threshold: null, message: `${name} ${status}` };
}

describe("publishDecision", () => {
  it("publishes a day whose error checks pass, warnings or not, as complete", () => {
    expect(publishDecision([check("rollup_consistency", "pass"), check("min_events", "fail", "warn")], null, false)).toEqual({ published: true, partialReason: null });
  });

  it("rejects a day failing any error check that is not completeness, even with allowPartial", () => {
    const checks = [check("day_volume", "fail"), check("rollup_consistency", "fail")];
    expect(publishDecision(checks, null, true)).toEqual({ published: false, partialReason: null });
  });

  it("publishes a day failing only completeness marked partial, and only when allowed", () => {
    const checks = [check("day_volume", "fail"), check("hour_coverage", "fail"), check("hour_distribution", "pass")];
    expect(publishDecision(checks, null, false)).toEqual({ published: false, partialReason: null });
    expect(publishDecision(checks, null, true)).toEqual({ published: true, partialReason: "it failed completeness (day_volume, hour_coverage)" });
  });

  it("marks a day that had not ended partial, with every reason", () => {
    expect(publishDecision([], "the day had not ended", true)).toEqual({ published: true, partialReason: "the day had not ended" });
    expect(publishDecision([check("hour_coverage", "fail")], "the day had not ended", true)).toEqual({
      published: true,
      partialReason: "the day had not ended; it failed completeness (hour_coverage)",
    });
  });
});

describe("openDayReason", () => {
  const la = { ...cfg, timezone: "America/Los_Angeles" };
  it("is null once the day has ended in the dataset's zone", () => {
    expect(openDayReason(la, "2026-01-05", { now: new Date("2026-01-06T08:00:00Z") })).toBeNull();
  });
  it("refuses a day that has not ended in one sentence, or names why it is partial when allowed", () => {
    const now = new Date("2026-01-06T07:59:00Z");
    expect(() => openDayReason(la, "2026-01-05", { now })).toThrow(
      "ds 2026-01-05 has not ended yet in America/Los_Angeles (it ends at 2026-01-06T08:00Z): load it once the day is over, or allow a partial day (--allow-partial, or allow_partial=true on upload) to publish it marked partial.",
    );
    expect(openDayReason(la, "2026-01-05", { now, allowPartial: true })).toBe("the day had not ended in America/Los_Angeles when it was loaded (it ends at 2026-01-06T08:00Z)");
  });
});

describe("retention after a warehouse-built day", () => {
  it("removes the raw rows of days older than retention_days, as after a raw ingest; aggregates stay", async () => {
    const dir = tmpDir();
    const [old, later] = await generateFixtures({ outDir: join(dir, "exports"), days: 2, eventsPerDay: 2500, end: "2026-03-03", seed: 11 });
    const kept = { ...cfg, retention_days: 30 };
    const db = openDb(join(dir, "g.db"));
    // The first day arrives as raw events, the next as the warehouse's aggregate of its events.
    expect((await ingestFiles(db, kept, [old.path], { now: new Date("2026-03-03T06:00:00Z") })).published).toBe(true);
    const warehouse = openDb(join(dir, "warehouse.db"));
    expect((await ingestFiles(warehouse, cfg, [later.path])).published).toBe(true);
    const agg = writeAggExport(warehouse, "default", later.ds, join(dir, "agg.ndjson"));
    const events = () => (db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(old.ds) as { n: number }).n;
    expect(events()).toBeGreaterThan(0);

    // Forty days on, the warehouse day is loaded: the raw day is past retention.
    const r = await ingestAggFiles(db, kept, [agg], { now: new Date("2026-04-12T06:00:00Z") });
    expect(r.published).toBe(true);
    expect(events()).toBe(0);
    expect(publishedBatch(db, "default", old.ds)).toMatchObject({ status: "published", raw_expired: 1 });
    expect((db.prepare(`SELECT COUNT(*) AS n FROM published_agg WHERE ds = ?`).get(old.ds) as { n: number }).n).toBeGreaterThan(0);
  }, 60_000);
});
