import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { openDb, type DB } from "../../src/store/db.js";
import { parseConfig } from "../../src/config/load.js";
import type { Evaluation, Verdict } from "../../src/shared/types.js";
import type { AlertDeps } from "../../src/alerts/index.js";
import type { Log as AlertLog } from "../../src/shared/log.js";

export function tempDb(): { db: DB; dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-alerts-"));
  const path = join(dir, "guardrail.db");
  const db = openDb(path);
  return { db, dir, path, cleanup: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

export function memoryLog(): AlertLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };
}

export function makeDeps(db: DB, extra: Partial<AlertDeps> = {}, rawConfig: unknown = {}): AlertDeps {
  return {
    db,
    config: parseConfig(rawConfig),
    publicUrl: "https://guardrail.example.test",
    linkSecret: "link-secret-for-tests",
    env: {},
    log: memoryLog(),
    ...extra,
  };
}

export function testOctokit(): InstanceType<typeof ProbotOctokit> {
  return new ProbotOctokit({ auth: { token: "test-token" }, retry: { enabled: false }, throttle: { enabled: false } });
}

function verdict(metric: string, v: Partial<Verdict>): Verdict {
  return {
    metric,
    guardrail: true,
    enforced: true,
    verdict: "pass",
    observed: 0.039,
    expected: 0.039,
    lower: 0.035,
    upper: 0.043,
    change: 0,
    z: 0,
    baseline_days: [],
    message: `${metric} is in line with its baseline.`,
    segments: [],
    numerator: 390,
    denominator: 10000,
    ...v,
  };
}

/** A day where signup_conversion_rate fell by `change` (e.g. −0.35) and is failing, mostly on iPhone. */
export function failingEvaluation(ds: string, change = -0.35, dataset = "default"): Evaluation {
  const expected = 0.039;
  const observed = expected * (1 + change);
  return {
    ds,
    dataset,
    status: "fail",
    summary: `signup_conversion_rate fell ${Math.round(-change * 100)} % on ${ds}.`,
    verdicts: [
      verdict("signup_conversion_rate", {
        verdict: "fail",
        observed,
        expected,
        change,
        z: -7.2,
        message: `signup_conversion_rate fell ${Math.round(-change * 100)} % to ${(observed * 100).toFixed(2)} % (expected 3.90 %, z = −7.2) vs 4 Tuesdays; 91 % of the drop is on device iPhone.`,
        segments: [
          { dimension: "dim_device_brand", value: "iPhone", observed: 0.012, expected: 0.039, change: -0.69, contribution: 0.91 },
          { dimension: "dim_device_brand", value: "Samsung", observed: 0.037, expected: 0.039, change: -0.05, contribution: 0.06 },
        ],
      }),
      verdict("purchase_conversion_rate", { observed: 0.1, expected: 0.1, change: 0.01, z: 0.2 }),
      verdict("daily_visitors", { guardrail: false, observed: 9000, expected: 9100, change: -0.011, z: -0.3, numerator: null, denominator: null }),
    ],
    versions: [],
  };
}

export function passingEvaluation(ds: string, dataset = "default"): Evaluation {
  const ev = failingEvaluation(ds, -0.01, dataset);
  ev.status = "pass";
  ev.summary = "Every guardrail is in line with its baseline.";
  ev.verdicts[0] = { ...ev.verdicts[0], verdict: "pass", z: -0.2, segments: [], message: "signup_conversion_rate is in line with its baseline." };
  return ev;
}

export function noDataEvaluation(ds: string, dataset = "default"): Evaluation {
  const ev = passingEvaluation(ds, dataset);
  ev.status = "no_data";
  ev.verdicts = ev.verdicts.map((v) => ({ ...v, verdict: "no_data" as const, observed: null, change: null, z: null }));
  return ev;
}

/** Inserts a published (or rejected) partition row, as the ingest would. */
export function insertPartition(db: DB, dataset: string, ds: string, status: "published" | "rejected" = "published"): void {
  db.prepare(
    `INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES (?, ?, 'raw', ?, ?, ?)`,
  ).run(dataset, ds, status, new Date().toISOString(), status === "published" ? new Date().toISOString() : null);
}
