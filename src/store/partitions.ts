/**
 * The partition registry: every ingest attempt is a batch (a row of
 * `partitions`) that is `staged`, then `published` or `rejected`; publishing
 * replaces the previous published batch of the same (dataset, ds) in one
 * transaction. Readers of published data go through this module or the
 * `published_*` views, never through staged rows.
 */
import type { DB } from "./db.js";
import type { AggRow, CheckResult, IngestResult } from "../shared/types.js";
import { addDays, epochMsToDs } from "../shared/dates.js";
import { deleteRawBlocks } from "./raw-blocks.js";
import { readFileSync } from "node:fs";

export type BatchKind = "raw" | "agg";
export type BatchStatus = "staged" | "published" | "rejected" | "replaced";
export type DayStatus = "published" | "rejected" | "missing";

export interface Batch {
  id: number;
  dataset: string;
  ds: string;
  kind: BatchKind;
  status: BatchStatus;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  duplicates: number;
  source_file: string | null;
  checksum: string | null;
  ingested_at: string;
  published_at: string | null;
  raw_expired: number;
  result_json: string | null;
  owner_pid: number | null;
  /** Why a published day is partial (docs/ingest.md, "Completeness"); null for a complete day. */
  partial_reason?: string | null;
}

export interface NewBatch {
  dataset: string;
  ds: string;
  kind: BatchKind;
  source_file?: string | null;
  checksum?: string | null;
}

export interface BatchCounts {
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  duplicates: number;
}

/**
 * Batches this process is staging right now. A pid alone does not identify an
 * owner: a restarted container's service is PID 1 again, so a batch staged by
 * "our" pid but not in this set was left by an earlier life of the process.
 */
const stagingHere = new Set<number>();

export function createBatch(db: DB, b: NewBatch): number {
  const info = db
    .prepare(
      `INSERT INTO partitions (dataset, ds, kind, status, source_file, checksum, ingested_at, owner_pid, owner_started)
       VALUES (?, ?, ?, 'staged', ?, ?, ?, ?, ?)`,
    )
    .run(b.dataset, b.ds, b.kind, b.source_file ?? null, b.checksum ?? null, new Date().toISOString(), process.pid, processStart(process.pid));
  const id = Number(info.lastInsertRowid);
  stagingHere.add(id);
  return id;
}

export function updateBatchCounts(db: DB, batchId: number, c: BatchCounts): void {
  db.prepare(`UPDATE partitions SET rows_read = ?, rows_loaded = ?, rows_rejected = ?, duplicates = ? WHERE id = ?`).run(
    c.rows_read,
    c.rows_loaded,
    c.rows_rejected,
    c.duplicates,
    batchId,
  );
}

/**
 * Makes `batchId` the published batch of its (dataset, ds) in ONE transaction:
 * the previous published batch becomes `replaced`. The superseded raw and
 * aggregate rows are deleted afterwards, in their own transaction: they are
 * already invisible to readers, so a crash between the two only leaves garbage.
 */
export function publishBatch(db: DB, batchId: number, result?: IngestResult, partialReason: string | null = null): { replaced: number | null } {
  const batch = getBatch(db, batchId);
  if (!batch) throw new Error(`batch ${batchId} does not exist`);
  if (batch.status !== "staged") throw new Error(`batch ${batchId} is ${batch.status}, only a staged batch can be published`);
  let replaced: number | null = null;
  db.transaction(() => {
    const prev = db
      .prepare(`SELECT id FROM partitions WHERE dataset = ? AND ds = ? AND status = 'published'`)
      .get(batch.dataset, batch.ds) as { id: number } | undefined;
    if (prev) {
      db.prepare(`UPDATE partitions SET status = 'replaced' WHERE id = ?`).run(prev.id);
      replaced = prev.id;
    }
    db.prepare(`UPDATE partitions SET status = 'published', published_at = ?, partial_reason = ? WHERE id = ?`).run(new Date().toISOString(), partialReason, batchId);
    if (result) {
      updateBatchCounts(db, batchId, result);
      db.prepare(`UPDATE partitions SET result_json = ? WHERE id = ?`).run(JSON.stringify(result), batchId);
    }
  }).immediate();
  stagingHere.delete(batchId);
  if (replaced !== null) dropBatchData(db, replaced);
  return { replaced };
}

/** The audit failed: the batch stays unpublished, its staged rows kept for inspection. */
export function rejectBatch(db: DB, batchId: number, result?: IngestResult): void {
  stagingHere.delete(batchId);
  db.transaction(() => {
    db.prepare(`UPDATE partitions SET status = 'rejected' WHERE id = ? AND status = 'staged'`).run(batchId);
    if (result) {
      updateBatchCounts(db, batchId, result);
      db.prepare(`UPDATE partitions SET result_json = ? WHERE id = ?`).run(JSON.stringify(result), batchId);
    }
  })();
}

/** Removes a staged batch and everything that carries its id (unreadable input: not an audit verdict). */
export function discardBatch(db: DB, batchId: number): void {
  stagingHere.delete(batchId);
  db.transaction(() => {
    // Never touch a batch that already reached a verdict (e.g. a failure after publishing).
    const row = db.prepare(`SELECT status FROM partitions WHERE id = ?`).get(batchId) as { status: BatchStatus } | undefined;
    if (row?.status !== "staged") return;
    deleteRawBlocks(db, batchId);
    for (const t of ["agg_website_events", "quality_results", "rejects", "metric_values"])
      db.prepare(`DELETE FROM ${t} WHERE batch_id = ?`).run(batchId);
    db.prepare(`DELETE FROM partitions WHERE id = ? AND status = 'staged'`).run(batchId);
  })();
}

/** Raw and aggregate rows of a superseded batch; its checks, rejects and metric values stay as history. */
function dropBatchData(db: DB, batchId: number): void {
  db.transaction(() => {
    deleteRawBlocks(db, batchId);
    db.prepare(`DELETE FROM agg_website_events WHERE batch_id = ?`).run(batchId);
    db.prepare(`UPDATE partitions SET raw_expired = 1 WHERE id = ?`).run(batchId);
  })();
}

/** Staged batches older than this are abandoned unless their process still runs. */
export const ABANDONED_AFTER_MS = 3_600_000;

/** True when `pid` names a running process on this machine (signal 0 only checks). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * When process `pid` started (clock ticks since boot, field 22 of
 * /proc/<pid>/stat), or null where there is no /proc or no such process.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    // No /proc (macOS) or no such process: its start time is unknown, as documented above.
    return null;
  }
}

/** The batch an ingest of `sourceFile` created at or after `since` (the service's job recovery), or null. */
export function batchFromSource(db: DB, dataset: string, ds: string, sourceFile: string, since: string): (Batch & { owner_started: string | null }) | null {
  return (
    (db
      .prepare(`SELECT * FROM partitions WHERE dataset = ? AND ds = ? AND source_file = ? AND ingested_at >= ? ORDER BY id DESC LIMIT 1`)
      .get(dataset, ds, sourceFile, since) as (Batch & { owner_started: string | null }) | undefined) ?? null
  );
}

/** True while the process that staged a batch still runs (same pid and same start time). */
export function batchOwnerAlive(b: { owner_pid: number | null; owner_started: string | null }): boolean {
  if (b.owner_pid === null || b.owner_pid === process.pid || !processAlive(b.owner_pid)) return false;
  const started = processStart(b.owner_pid);
  return b.owner_started === null || started === null || started === b.owner_started;
}

/**
 * Removes attempts a crash or kill left `staged` (their rows would stay forever):
 * staged batches of `dataset` started more than an hour before `now` whose
 * owner process is gone. A live owner (a long ingest) is never touched.
 * Returns the ids discarded.
 */
export function discardAbandonedBatches(db: DB, dataset: string, now: Date = new Date()): number[] {
  const cutoff = new Date(now.getTime() - ABANDONED_AFTER_MS).toISOString();
  const rows = db
    .prepare(`SELECT id, owner_pid, owner_started FROM partitions WHERE dataset = ? AND status = 'staged' AND ingested_at < ?`)
    .all(dataset, cutoff) as { id: number; owner_pid: number | null; owner_started: string | null }[];
  const gone = rows.filter((r) => {
    if (r.owner_pid === null) return true;
    if (r.owner_pid === process.pid) return !stagingHere.has(r.id);
    if (!processAlive(r.owner_pid)) return true;
    // Alive, but is it the same process? A different start time means the pid was reused.
    const started = processStart(r.owner_pid);
    return r.owner_started !== null && started !== null && started !== r.owner_started;
  });
  for (const r of gone) discardBatch(db, r.id);
  return gone.map((r) => r.id);
}

export function insertChecks(db: DB, batchId: number, checks: CheckResult[]): void {
  const stmt = db.prepare(
    `INSERT INTO quality_results (batch_id, name, table_name, severity, status, observed, threshold, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const c of checks)
      stmt.run(batchId, c.name, c.table, c.severity, c.status, JSON.stringify(c.observed ?? null), JSON.stringify(c.threshold ?? null), c.message);
  })();
}

/** Files one rejected row of a batch at a time (the raw ingest, inside its chunk transactions). */
export function rejectWriter(db: DB, batchId: number): (line: number, reason: string) => void {
  const stmt = db.prepare(`INSERT INTO rejects (batch_id, line, reason) VALUES (?, ?, ?)`);
  return (line, reason) => void stmt.run(batchId, line, reason);
}

/** The SHA-256 of the batch's input files. */
export function setBatchChecksum(db: DB, batchId: number, checksum: string): void {
  db.prepare(`UPDATE partitions SET checksum = ? WHERE id = ?`).run(checksum, batchId);
}

export function insertAggRows(db: DB, batchId: number, rows: AggRow[]): void {
  const stmt = db.prepare(
    `INSERT INTO agg_website_events (batch_id, ds, aggregation_level, action_type, dim_hostname, dim_country, dim_device_brand,
       dim_channel, dim_product_type, dim_app_version, event_hour, m_total_events, m_unique_visitors, m_unique_users, m_visits)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const r of rows)
      stmt.run(
        batchId,
        r.ds,
        r.aggregation_level,
        r.action_type,
        r.dim_hostname,
        r.dim_country,
        r.dim_device_brand,
        r.dim_channel,
        r.dim_product_type,
        r.dim_app_version,
        r.event_hour,
        r.m_total_events,
        r.m_unique_visitors,
        r.m_unique_users,
        r.m_visits ?? null,
      );
  })();
}

// ---------------------------------------------------------------- readers

export function getBatch(db: DB, batchId: number): Batch | null {
  return (db.prepare(`SELECT * FROM partitions WHERE id = ?`).get(batchId) as Batch | undefined) ?? null;
}

export function publishedBatch(db: DB, dataset: string, ds: string): Batch | null {
  return (
    (db.prepare(`SELECT * FROM partitions WHERE dataset = ? AND ds = ? AND status = 'published'`).get(dataset, ds) as Batch | undefined) ??
    null
  );
}

/** The most recent attempt (any status) for a day, or null. */
export function latestAttempt(db: DB, dataset: string, ds: string): Batch | null {
  return (
    (db.prepare(`SELECT * FROM partitions WHERE dataset = ? AND ds = ? ORDER BY id DESC LIMIT 1`).get(dataset, ds) as
      | Batch
      | undefined) ?? null
  );
}

/** The newest published day (at most `atMost` when given: the newest as of a past time). */
export function latestPublishedDs(db: DB, dataset: string, atMost = "9999-12-31"): string | null {
  const row = db.prepare(`SELECT MAX(ds) AS ds FROM partitions WHERE dataset = ? AND status = 'published' AND ds <= ?`).get(dataset, atMost) as {
    ds: string | null;
  };
  return row.ds;
}

/**
 * The newest day that anyone tried to load (published or rejected), at most
 * `atMost`: src/evaluate/ judges it by default.
 */
export function latestAttemptedDs(db: DB, dataset: string, atMost = "9999-12-31"): string | null {
  const row = db
    .prepare(`SELECT MAX(ds) AS ds FROM partitions WHERE dataset = ? AND status IN ('published', 'rejected') AND ds <= ?`)
    .get(dataset, atMost) as { ds: string | null };
  return row.ds;
}

/** Every published, rejected or staged attempt of the given days, oldest attempt first. */
export function dayAttempts(db: DB, dataset: string, days: string[]): { id: number; ds: string; status: "published" | "rejected" | "staged"; partial_reason: string | null }[] {
  if (days.length === 0) return [];
  return db
    .prepare(
      `SELECT id, ds, status, partial_reason FROM partitions
        WHERE dataset = ? AND ds IN (${days.map(() => "?").join(",")}) AND status IN ('published', 'rejected', 'staged')
        ORDER BY id`,
    )
    .all(dataset, ...days) as { id: number; ds: string; status: "published" | "rejected" | "staged"; partial_reason: string | null }[];
}

/** The names of a batch's failed error-severity checks (why its audit rejected it), sorted. */
export function failedErrorChecks(db: DB, batchId: number): string[] {
  const rows = db
    .prepare(`SELECT DISTINCT name FROM quality_results WHERE batch_id = ? AND status = 'fail' AND severity = 'error' ORDER BY name`)
    .all(batchId) as { name: string }[];
  return rows.map((r) => r.name);
}

/** The newest published day of every dataset that has one. */
export function latestPublishedByDataset(db: DB): Map<string, string> {
  const rows = db.prepare(`SELECT dataset, MAX(ds) AS ds FROM partitions WHERE status = 'published' GROUP BY dataset`).all() as { dataset: string; ds: string }[];
  return new Map(rows.map((r) => [r.dataset, r.ds]));
}

/** Published days in ascending order, optionally within [from, to]. */
export function publishedDays(db: DB, dataset: string, from?: string, to?: string): string[] {
  const rows = db
    .prepare(
      `SELECT ds FROM partitions WHERE dataset = ? AND status = 'published' AND ds >= ? AND ds <= ? ORDER BY ds`,
    )
    .all(dataset, from ?? "0000-00-00", to ?? "9999-99-99") as { ds: string }[];
  return rows.map((r) => r.ds);
}

/**
 * `published` if a published batch exists; else `rejected` if the latest
 * finished attempt failed its audit; else `missing` (never ingested, or only
 * an attempt still staged / abandoned by a crash).
 */
export function dayStatus(db: DB, dataset: string, ds: string): DayStatus {
  if (publishedBatch(db, dataset, ds)) return "published";
  const last = db
    .prepare(`SELECT status FROM partitions WHERE dataset = ? AND ds = ? AND status <> 'staged' ORDER BY id DESC LIMIT 1`)
    .get(dataset, ds) as { status: BatchStatus } | undefined;
  return last?.status === "rejected" ? "rejected" : "missing";
}

export function batchChecks(db: DB, batchId: number): CheckResult[] {
  const rows = db
    .prepare(`SELECT name, table_name, severity, status, observed, threshold, message FROM quality_results WHERE batch_id = ? ORDER BY rowid`)
    .all(batchId) as { name: string; table_name: string; severity: string; status: string; observed: string | null; threshold: string | null; message: string }[];
  return rows.map((r) => ({
    name: r.name,
    table: r.table_name as CheckResult["table"],
    severity: r.severity as CheckResult["severity"],
    status: r.status as CheckResult["status"],
    observed: parseStored(r.observed),
    threshold: parseStored(r.threshold),
    message: r.message,
  }));
}

export function batchRejects(db: DB, batchId: number, limit = 100): { line: number; reason: string }[] {
  return db.prepare(`SELECT line, reason FROM rejects WHERE batch_id = ? ORDER BY rowid LIMIT ?`).all(batchId, limit) as {
    line: number;
    reason: string;
  }[];
}

export function listDatasets(db: DB): string[] {
  return (db.prepare(`SELECT DISTINCT dataset FROM partitions ORDER BY dataset`).all() as { dataset: string }[]).map((r) => r.dataset);
}

/**
 * Rows per hostname of a published day, read from the aggregate (so it still
 * works once the raw rows expired): level `daily_hostname_total`, else the
 * hourly `hostname` level summed. Null when the day is not published or has
 * no hostname level.
 */
export function publishedHostTotals(db: DB, dataset: string, ds: string): Map<string, number> | null {
  const batch = publishedBatch(db, dataset, ds);
  if (!batch) return null;
  for (const level of ["daily_hostname_total", "hostname"]) {
    const rows = db
      .prepare(
        `SELECT dim_hostname AS host, SUM(m_total_events) AS n FROM agg_website_events
         WHERE batch_id = ? AND aggregation_level = ? AND dim_hostname IS NOT NULL GROUP BY dim_hostname`,
      )
      .all(batch.id, level) as { host: string; n: number }[];
    if (rows.length) return new Map(rows.map((r) => [r.host, r.n]));
  }
  return null;
}

/**
 * Deletes the raw rows of finished batches whose ds is more than
 * `retention_days` before `now` and marks them `raw_expired`. Aggregates,
 * checks and metric values stay, so baselines and the week-over-week host
 * check keep working. Staged batches are left alone (an ingest may be running).
 */
export function applyRetention(
  db: DB,
  cfg: { name: string; retention_days: number | null },
  now: Date = new Date(),
): { batches: number; rows: number } {
  if (!cfg.retention_days) return { batches: 0, rows: 0 };
  const cutoff = addDays(epochMsToDs(now.getTime()), -cfg.retention_days);
  const ids = (
    db
      .prepare(
        `SELECT id, rows_loaded FROM partitions WHERE dataset = ? AND kind = 'raw' AND ds < ? AND raw_expired = 0 AND status <> 'staged'`,
      )
      .all(cfg.name, cutoff) as { id: number; rows_loaded: number }[]
  );
  let rows = 0;
  const mark = db.prepare(`UPDATE partitions SET raw_expired = 1 WHERE id = ?`);
  for (const { id, rows_loaded } of ids)
    db.transaction(() => {
      deleteRawBlocks(db, id);
      mark.run(id);
      rows += rows_loaded;
    })();
  return { batches: ids.length, rows };
}

function parseStored(text: string | null): string | number | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "number" || typeof v === "string" ? v : v === null ? null : text;
  } catch {
    // A value not written as JSON (by hand, or by an older version) is shown as written.
    return text;
  }
}

/** One published day as the completeness checks see it: events and page visits, and events per local hour. */
export interface DayShape {
  ds: string;
  events: number;
  page_visits: number;
  hours: number[];
}

/**
 * The shapes of those `days` that are published complete (a partial day is
 * never history), from the `overall` level of the aggregate.
 */
export function completeDayShapes(db: DB, dataset: string, days: string[]): DayShape[] {
  const stmt = db.prepare(
    `SELECT a.event_hour AS hour, a.action_type AS action, SUM(a.m_total_events) AS n
       FROM agg_website_events a JOIN partitions p ON p.id = a.batch_id
      WHERE p.dataset = ? AND p.ds = ? AND p.status = 'published' AND p.partial_reason IS NULL
        AND a.aggregation_level = 'overall' AND a.event_hour IS NOT NULL
      GROUP BY a.event_hour, a.action_type`,
  );
  const out: DayShape[] = [];
  for (const ds of days) {
    const rows = stmt.all(dataset, ds) as { hour: number; action: string | null; n: number }[];
    if (rows.length === 0) continue;
    const shape: DayShape = { ds, events: 0, page_visits: 0, hours: new Array<number>(24).fill(0) };
    for (const r of rows) {
      if (r.hour < 0 || r.hour > 23) continue;
      shape.hours[r.hour] += r.n;
      shape.events += r.n;
      if (r.action === "page_visit") shape.page_visits += r.n;
    }
    out.push(shape);
  }
  return out;
}

/** The days in [from, to] whose published batch is partial (docs/ingest.md, "Partial days"): never a baseline day. */
export function partialDaysBetween(db: DB, dataset: string, from: string, to: string): Set<string> {
  const rows = db
    .prepare(`SELECT ds FROM partitions WHERE dataset = ? AND ds BETWEEN ? AND ? AND status = 'published' AND partial_reason IS NOT NULL`)
    .all(dataset, from, to) as { ds: string }[];
  return new Set(rows.map((r) => r.ds));
}

/** Why the published batch of a day is partial, or null (complete, or nothing published). */
export function partialReason(db: DB, dataset: string, ds: string): string | null {
  const row = db
    .prepare(`SELECT partial_reason FROM partitions WHERE dataset = ? AND ds = ? AND status = 'published'`)
    .get(dataset, ds) as { partial_reason: string | null } | undefined;
  return row?.partial_reason ?? null;
}

/** Events and page visits of every complete published day in [from, to] (the overall level), by ds. */
export function completeDayTotals(db: DB, dataset: string, from: string, to: string): Map<string, { events: number; page_visits: number }> {
  const rows = db
    .prepare(
      `SELECT p.ds AS ds, SUM(a.m_total_events) AS events, SUM(CASE WHEN a.action_type = 'page_visit' THEN a.m_total_events ELSE 0 END) AS page_visits
         FROM partitions p JOIN agg_website_events a ON a.batch_id = p.id
        WHERE p.dataset = ? AND p.ds >= ? AND p.ds <= ? AND p.status = 'published' AND p.partial_reason IS NULL
          AND a.aggregation_level = 'overall' AND a.event_hour IS NOT NULL
        GROUP BY p.ds`,
    )
    .all(dataset, from, to) as { ds: string; events: number; page_visits: number }[];
  return new Map(rows.map((r) => [r.ds, { events: r.events, page_visits: r.page_visits }]));
}

/** Published raw batches of a dataset between two days (inclusive), oldest first. */
export function publishedRawBatches(db: DB, dataset: string, from: string, to: string): Batch[] {
  return db
    .prepare(`SELECT * FROM partitions WHERE dataset = ? AND kind = 'raw' AND status = 'published' AND ds >= ? AND ds <= ? ORDER BY ds`)
    .all(dataset, from, to) as Batch[];
}

/** Replaces a batch's aggregate rows and aggregate checks (`guardrail reaggregate`); the caller holds the transaction. */
export function replaceAggregate(db: DB, batchId: number, rows: AggRow[], checks: CheckResult[]): void {
  db.prepare(`DELETE FROM agg_website_events WHERE batch_id = ?`).run(batchId);
  db.prepare(`DELETE FROM quality_results WHERE batch_id = ? AND table_name = 'agg_website_events'`).run(batchId);
  insertAggRows(db, batchId, rows);
  insertChecks(db, batchId, checks);
}
