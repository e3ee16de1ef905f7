/** Shared fixtures of the gate tests: a temp store seeded with published metric values, a repo record, an Octokit for nock. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProbotOctokit } from "probot";
import { openDb, type DB } from "../../src/store/db.js";
import { parseConfig } from "../../src/config/load.js";
import { recordRepo } from "../../src/store/repos.js";
import { parseRepoConfig } from "../../src/config/repo-schema.js";
import { addDays } from "../../src/shared/dates.js";
import { createBatch, publishBatch } from "../../src/store/partitions.js";
import { storeMetricValues } from "../../src/metrics/compute.js";
import type { AppDeps } from "../../src/app/deps.js";

export const REPO = "acme/web";
export const INSTALLATION = 4242;
/** A Tuesday: the failing (or healthy) day under test. */
export const DAY = "2024-05-07";
/** Early the next morning: the data of DAY is fresh. */
export const NOW = new Date("2024-05-08T06:00:00Z");
export const READ_TOKEN = "read-token-0123456789";
export const INGEST_TOKEN = "ingest-token-0123456789";
export const SHA = "a".repeat(40);
export const OTHER_SHA = "b".repeat(40);
export const SUSPECT_SHA = "c".repeat(40);

/** One guardrail ratio over two counts: enough for the gate, small enough to reason about by hand. */
export const CONFIG = parseConfig({
  metrics: [
    { kind: "count", name: "website_hits", actions: ["page_visit"], breakdowns: [] },
    { kind: "count", name: "signups", actions: ["signup"], breakdowns: [] },
    { kind: "ratio", name: "signup_conversion_rate", numerator: "signups", denominator: "website_hits", guardrail: true, breakdowns: [] },
  ],
});

export interface Env {
  dir: string;
  db: DB;
  deps: AppDeps;
  cleanup(): void;
}

export function makeEnv(overrides: Partial<AppDeps> = {}): Env {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-gate-"));
  const db = openDb(join(dir, "guardrail.db"));
  const deps: AppDeps = {
    db,
    config: CONFIG,
    publicUrl: "https://guardrail.example.com",
    linkSecret: "link-secret",
    readToken: READ_TOKEN,
    ingestToken: INGEST_TOKEN,
    ...overrides,
  };
  return {
    dir,
    db,
    deps,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let batchSeq = 0;
/** A published day with `hits` page visits and `signups` signups (dimension '' = the day's total). */
export function seedDay(db: DB, ds: string, hits: number, signups: number, dataset = "default"): void {
  const id = db
    .prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES (?, ?, 'raw', 'published', ?, ?) RETURNING id`)
    .get(dataset, ds, `${ds}T23:00:00Z`, `${ds}T23:30:00Z`) as { id: number };
  batchSeq++;
  const put = db.prepare(
    `INSERT INTO metric_values (batch_id, dataset, ds, metric, dimension, value_key, value, numerator, denominator) VALUES (?, ?, ?, ?, '', '', ?, ?, ?)`,
  );
  put.run(id.id, dataset, ds, "website_hits", hits, null, null);
  put.run(id.id, dataset, ds, "signups", signups, null, null);
  put.run(id.id, dataset, ds, "signup_conversion_rate", signups / hits, signups, hits);
}

/** Baseline signups of the four previous same weekdays at 10,000 hits a day (4.025 % pooled). */
export const BASELINE_SIGNUPS = [400, 410, 395, 405];
export const BASELINE_HITS = 10_000;

/** Four healthy weeks of every weekday before `day`, then `day` itself. */
export function seedHistory(db: DB, day: string, todaySignups: number, todayHits = BASELINE_HITS): void {
  for (let back = 28; back >= 1; back--) {
    const week = Math.ceil(back / 7) - 1; // 0…3
    seedDay(db, addDays(day, -back), BASELINE_HITS, BASELINE_SIGNUPS[week]!);
  }
  seedDay(db, day, todayHits, todaySignups);
}

/** The relative change of `signups/hits` against the pooled baseline rate, computed from the seed alone. */
export function expectedChange(todaySignups: number, todayHits = BASELINE_HITS): number {
  const pooled = BASELINE_SIGNUPS.reduce((a, b) => a + b, 0) / (BASELINE_HITS * BASELINE_SIGNUPS.length);
  return todaySignups / todayHits / pooled - 1;
}

export function addRepo(db: DB, config: Record<string, unknown> = {}, repo = REPO): void {
  const parsed = parseRepoConfig(config);
  if (!parsed.ok) throw new Error(parsed.error);
  recordRepo(db, { repo, installationId: INSTALLATION, config: parsed.config });
}

export function addOverride(db: DB, sha: string, actor = "maintainer", reason = "known seasonal dip"): void {
  db.prepare(`INSERT INTO overrides (repo, pr_number, sha, actor, reason, created_at) VALUES (?, 7, ?, ?, ?, ?)`).run(
    REPO,
    sha,
    actor,
    reason,
    "2024-05-08T05:00:00Z",
  );
}

export function addSuspect(db: DB, sha: string, ds = DAY): void {
  db.prepare(
    `INSERT INTO suspects (repo, dataset, ds, sha, ref, reason, evidence, prs_json, recorded_at) VALUES (?, 'default', ?, ?, NULL, 'deployment', '{}', '[]', ?)`,
  ).run(REPO, ds, sha, "2024-05-08T05:00:00Z");
}

export function octokit(): InstanceType<typeof ProbotOctokit> {
  return new ProbotOctokit({ auth: { token: "test-installation-token" }, retry: { enabled: false }, throttle: { enabled: false } });
}

/** Publishes a day through the store's one publish path, marked partial when `why` is given (replacing what was published). */
export function publishDay(db: DB, ds: string, hits: number, signups: number, why: string | null): void {
  const id = createBatch(db, { dataset: "default", ds, kind: "raw" });
  storeMetricValues(db, id, {
    ds,
    dataset: "default",
    metrics: {
      website_hits: { value: hits, breakdown: {} },
      signups: { value: signups, breakdown: {} },
      signup_conversion_rate: { value: signups / hits, numerator: signups, denominator: hits, breakdown: {} },
    },
  });
  publishBatch(db, id, undefined, why);
}
