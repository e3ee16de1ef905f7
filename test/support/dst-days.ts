/**
 * Stores holding a DST day of a Europe/Berlin site, from realistic exports:
 * naive local timestamps (`2026-03-29 03:15:00.000`, as GA writes them), days
 * cut at local midnight, traffic on the local wall clock. Spring forward
 * (2026-03-29: 23 hours, no 02:00) and fall back (2026-10-25: 25 hours, 02:00
 * twice), each with the four Sundays before it, plus the Sunday after the
 * spring change, whose baseline holds the 23-hour day.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { generateFixtures } from "../../src/fixtures/generate.js";
import type { Incident } from "../../src/fixtures/incidents.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { parseConfig, resolveDataset, type DatasetConfig } from "../../src/config/load.js";
import type { GuardrailConfig } from "../../src/config/schema.js";
import { openDb, type DB } from "../../src/store/db.js";
import { addDays } from "../../src/shared/dates.js";

export const ZONE = "Europe/Berlin";
export const SPRING = "2026-03-29"; // a Sunday: 02:00 → 03:00
export const AFTER_SPRING = addDays(SPRING, 7);
export const FALL = "2026-10-25"; // a Sunday: 03:00 → 02:00

/** Page visits are a guardrail too, so the hourly views show a count, whose hours a clock change stretches or removes. */
export const DST_CONFIG: GuardrailConfig = parseConfig({
  timezone: ZONE,
  metrics: [
    { kind: "count", name: "website_hits", actions: ["page_visit"], guardrail: true, breakdowns: [] },
    { kind: "count", name: "signups", actions: ["signup"], breakdowns: [] },
    { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true, breakdowns: [] },
  ],
});

export interface DstStore {
  db: DB;
  cfg: DatasetConfig;
  config: GuardrailConfig;
}

/** Ingests the Sundays from four weeks before `first` up to `last` of a Berlin site's naive-timestamp exports; each must publish. */
export async function berlinSundays(first: string, last: string, incidents: Incident[] = [], seed = 11): Promise<DstStore> {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-dst-"));
  const start = addDays(first, -28);
  const days = Math.round((Date.parse(last) - Date.parse(start)) / 86_400_000) + 1;
  const files = await generateFixtures({ outDir: join(dir, "exports"), days, eventsPerDay: 4000, end: last, seed, timezone: ZONE, timestamps: "naive", incidents });
  const db = openDb(join(dir, "g.db"));
  const cfg = resolveDataset(DST_CONFIG, "default");
  for (let ds = start; ds <= last; ds = addDays(ds, 7)) {
    const f = files.find((x) => x.ds === ds)!;
    const r = await ingestFiles(db, cfg, [f.path], { now: new Date("2026-11-27T00:00:00Z") });
    expect(r.rows_rejected, `${ds} rejected rows`).toBe(0);
    expect(r.published, `${ds}: ${r.checks.filter((c) => c.status === "fail").map((c) => c.message).join(" ")}`).toBe(true);
  }
  return { db, cfg, config: DST_CONFIG };
}
