/**
 * Silence is a problem: a dataset whose newest published day is older than its
 * freshness window is stale. The age counts from the END of the newest ds (the
 * day's data is complete only then), the same rule as evaluate and health.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import { hoursSinceZoneDayEnd } from "../shared/dates.js";
import { latestPublishedDs } from "../store/partitions.js";
import type { AlertEvent } from "./types.js";

export interface Freshness {
  stale: boolean;
  /** Newest published ds, or null when nothing was ever published (stale too). */
  latestDs: string | null;
  /** Hours since the end of latestDs (one decimal), or null. */
  ageHours: number | null;
  freshnessHours: number;
}

export function checkFreshness(db: DB, cfg: DatasetConfig, now: Date = new Date()): Freshness {
  const latestDs = latestPublishedDs(db, cfg.name);
  const freshnessHours = cfg.evaluation.freshness_hours;
  if (!latestDs) return { stale: true, latestDs: null, ageHours: null, freshnessHours };
  const age = Math.max(0, hoursSinceZoneDayEnd(latestDs, cfg.timezone, now));
  const ageHours = Math.round(age * 10) / 10;
  return { stale: age > freshnessHours, latestDs, ageHours, freshnessHours };
}

/** The alert event of a freshness check: `stale`, or `data_ok` (closes a stale incident once newer data is there). */
export function freshnessEvent(db: DB, cfg: DatasetConfig, now: Date = new Date()): AlertEvent {
  const f = checkFreshness(db, cfg, now);
  if (f.stale)
    return { kind: "stale", dataset: cfg.name, latestDs: f.latestDs, ageHours: f.ageHours, freshnessHours: f.freshnessHours, today: now.toISOString().slice(0, 10) };
  return { kind: "data_ok", dataset: cfg.name, ds: f.latestDs ?? undefined };
}
