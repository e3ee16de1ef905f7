/** Test helpers: a real SQLite file with published partitions and metric_values rows inserted directly. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDb, type DB } from "../../src/store/db.js";
import { parseConfig, resolveDataset, type DatasetConfig } from "../../src/config/load.js";

export function tempDb(): { db: DB; dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guardrail-eval-"));
  const file = path.join(dir, "guardrail.db");
  return { db: openDb(file), dir, file };
}

/** The guardrail.config.yml content of smallConfig(). */
export function smallConfigInput(extra: Record<string, unknown> = {}, metricOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  const breakdowns = ["dim_device_brand", "dim_channel"];
  return {
    metrics: [
      { kind: "count", name: "website_hits", actions: ["page_visit"], breakdowns },
      { kind: "count", name: "signups", actions: ["signup"], breakdowns },
      { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true, breakdowns, ...metricOverrides },
    ],
    ...extra,
  };
}

/** A small metric set: two counts, one guardrail ratio, all broken down by device and channel. */
export function smallConfig(extra: Record<string, unknown> = {}, metricOverrides: Record<string, unknown> = {}): DatasetConfig {
  return resolveDataset(parseConfig(smallConfigInput(extra, metricOverrides)), "default");
}

export interface SegmentSpec {
  hits: number;
  signups: number;
}

/** One day: segments per dimension; the total is their sum (segments of each dimension must add up). */
export interface DaySpec {
  devices: Record<string, SegmentSpec>;
  channels?: Record<string, SegmentSpec>;
  versions?: Record<string, SegmentSpec>;
}

let checksum = 0;

export function insertBatch(db: DB, ds: string, status: "published" | "rejected" | "staged" | "replaced", dataset = "default"): number {
  return Number(
    db
      .prepare(
        `INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at, checksum) VALUES (?, ?, 'raw', ?, ?, ?, ?)`,
      )
      .run(dataset, ds, status, new Date().toISOString(), status === "published" ? new Date().toISOString() : null, String(++checksum))
      .lastInsertRowid,
  );
}

export function publishDay(db: DB, ds: string, spec: DaySpec, dataset = "default"): number {
  const batch = insertBatch(db, ds, "published", dataset);
  const ins = db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = (dimension: string, key: string, s: SegmentSpec) => {
    ins.run(batch, dataset, ds, "website_hits", dimension, key, s.hits, null, null);
    ins.run(batch, dataset, ds, "signups", dimension, key, s.signups, null, null);
    ins.run(batch, dataset, ds, "signup_conversion_rate", dimension, key, s.hits > 0 ? s.signups / s.hits : null, s.signups, s.hits);
  };
  const total = sumSegments(spec.devices);
  db.transaction(() => {
    write("", "", total);
    for (const [k, s] of Object.entries(spec.devices)) write("dim_device_brand", k, s);
    for (const [k, s] of Object.entries(spec.channels ?? {})) write("dim_channel", k, s);
    for (const [k, s] of Object.entries(spec.versions ?? {})) write("dim_app_version", k, s);
  })();
  return batch;
}

export function sumSegments(segs: Record<string, SegmentSpec>): SegmentSpec {
  return Object.values(segs).reduce((a, s) => ({ hits: a.hits + s.hits, signups: a.signups + s.signups }), { hits: 0, signups: 0 });
}

/** iPhone 30 %, Samsung 30 %, Windows PC 40 % of hits, all converting at `rate` (default 4 %). */
export function normalDay(hits = 10_000, rate = 0.04, factors: Partial<Record<"iPhone" | "Samsung" | "Windows PC", number>> = {}): DaySpec {
  const seg = (share: number, f = 1) => ({ hits: Math.round(hits * share), signups: Math.round(hits * share * rate * f) });
  return {
    devices: { iPhone: seg(0.3, factors.iPhone), Samsung: seg(0.3, factors.Samsung), "Windows PC": seg(0.4, factors["Windows PC"]) },
  };
}
