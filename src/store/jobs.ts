/**
 * The `jobs` table (migration 005): one row per uploaded export. Pure SQL,
 * no processes: the queue and the routes share these helpers.
 */
import { randomUUID } from "node:crypto";
import type { DB } from "./db.js";
import type { IngestResult } from "../shared/types.js";

export type JobState = "queued" | "running" | "published" | "rejected" | "failed";

/** raw: the day's events (`guardrail ingest`); agg: a warehouse-built aggregate (`guardrail ingest-agg`). */
export type UploadKind = "raw" | "agg";

export interface JobRow {
  id: string;
  dataset: string;
  ds: string;
  kind: UploadKind;
  state: JobState;
  file_path: string | null;
  bytes: number;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result_json: string | null;
  error: string | null;
  /** The upload asked for allow_partial=true (docs/ingest.md, "Completeness"). */
  allow_partial?: number;
}

/** The public shape of a job (docs/service.md), as `GET /api/guardrail/jobs/:id` answers it. */
export interface JobView {
  id: string;
  state: JobState;
  dataset: string;
  ds: string;
  kind: UploadKind;
  result: IngestResult | null;
  error: string | null;
  bytes: number;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export function newJobId(): string {
  return randomUUID();
}

export function insertJob(
  db: DB,
  job: { id: string; dataset: string; ds: string; kind?: UploadKind; file_path: string; bytes: number; allow_partial?: boolean },
  now = new Date(),
): void {
  db.prepare(
    `INSERT INTO jobs (id, dataset, ds, kind, state, file_path, bytes, created_at, allow_partial) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
  ).run(job.id, job.dataset, job.ds, job.kind ?? "raw", job.file_path, job.bytes, now.toISOString(), job.allow_partial ? 1 : 0);
}

export function getJob(db: DB, id: string): JobRow | null {
  return (db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined) ?? null;
}

/** The oldest queued job: jobs run one at a time in upload order, so two uploads of a day never mix. */
export function nextQueuedJob(db: DB): JobRow | null {
  return (db.prepare(`SELECT * FROM jobs WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1`).get() as JobRow | undefined) ?? null;
}

export function lastJob(db: DB): JobRow | null {
  return (db.prepare(`SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1`).get() as JobRow | undefined) ?? null;
}

/** queued → running; false when another runner took it first. */
export function markRunning(db: DB, id: string, now = new Date()): boolean {
  const r = db
    .prepare(`UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'queued'`)
    .run(now.toISOString(), id);
  return r.changes === 1;
}

export function finishJob(
  db: DB,
  id: string,
  state: "published" | "rejected" | "failed",
  fields: { result?: IngestResult | null; error?: string | null; keepFile: boolean },
  now = new Date(),
): void {
  db.prepare(
    `UPDATE jobs SET state = ?, finished_at = ?, result_json = ?, error = ?, file_path = CASE WHEN ? THEN file_path ELSE NULL END WHERE id = ?`,
  ).run(state, now.toISOString(), fields.result ? JSON.stringify(fields.result) : null, fields.error ?? null, fields.keepFile ? 1 : 0, id);
}

/** Jobs a stopped service left `running`, oldest first (recovered on start, see src/jobs/recover.ts). */
export function runningJobs(db: DB): JobRow[] {
  return db.prepare(`SELECT * FROM jobs WHERE state = 'running' ORDER BY created_at, rowid`).all() as JobRow[];
}

export const INTERRUPTED_MESSAGE = (id: string) =>
  `The service stopped while this job was running; nothing was published. Retry it with POST /api/guardrail/jobs/${id}/retry.`;

/**
 * Marks every `running` job failed without looking at what its ingest did.
 * The service uses `recoverInterruptedJobs` (src/jobs/recover.ts), which
 * checks the partitions table first; this stays for callers that cannot.
 */
export function failInterruptedJobs(db: DB, now = new Date()): string[] {
  const ids = runningJobs(db).map((r) => r.id);
  const stmt = db.prepare(`UPDATE jobs SET state = 'failed', finished_at = ?, error = ? WHERE id = ? AND state = 'running'`);
  for (const id of ids) stmt.run(now.toISOString(), INTERRUPTED_MESSAGE(id), id);
  return ids;
}

/**
 * Failed jobs keep their upload so they can be retried, but not forever: an
 * export that failed a week ago has been superseded, and each can be GiBs.
 * Returns the files to delete; their jobs no longer point at them.
 */
export function releaseOldFailedUploads(db: DB, olderThanMs: number, now = new Date()): string[] {
  const cutoff = new Date(now.getTime() - olderThanMs).toISOString();
  const rows = db
    .prepare(`SELECT id, file_path FROM jobs WHERE state = 'failed' AND file_path IS NOT NULL AND finished_at < ?`)
    .all(cutoff) as { id: string; file_path: string }[];
  const stmt = db.prepare(`UPDATE jobs SET file_path = NULL, error = coalesce(error, '') || ? WHERE id = ?`);
  for (const r of rows) stmt.run(` The upload was deleted ${Math.round(olderThanMs / 86_400_000)} days after the failure; upload the export again.`, r.id);
  return rows.map((r) => r.file_path);
}

/** failed → queued again (the upload is still on disk). */
export function requeueJob(db: DB, id: string): boolean {
  const r = db
    .prepare(`UPDATE jobs SET state = 'queued', started_at = NULL, finished_at = NULL, result_json = NULL, error = NULL WHERE id = ? AND state = 'failed'`)
    .run(id);
  return r.changes === 1;
}

/**
 * The ingest result as the API shows it: no server paths. The CLI's
 * `source_files` (the upload's path on the server) is dropped, and the path
 * wherever a message quotes it becomes "the upload" (docs/service.md).
 */
export function publicResult(resultJson: string, jobId: string): IngestResult {
  const upload = new RegExp(`(?:[A-Za-z]:)?[^\\s"'\`]*[\\\\/]${jobId.replace(/[^A-Za-z0-9-]/g, "")}\\.upload(?:\\.part)?`, "g");
  const result = JSON.parse(resultJson.replace(upload, "the upload")) as IngestResult;
  delete result.source_files;
  return result;
}

export function jobView(row: JobRow): JobView {
  return {
    id: row.id,
    state: row.state,
    dataset: row.dataset,
    ds: row.ds,
    kind: row.kind,
    result: row.result_json ? publicResult(row.result_json, row.id) : null,
    error: row.error,
    bytes: row.bytes,
    attempts: row.attempts,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

/** Every upload file a job still points at (queued, running, or failed and kept for a retry). */
export function referencedUploads(db: DB): Set<string> {
  return new Set((db.prepare(`SELECT file_path FROM jobs WHERE file_path IS NOT NULL`).all() as { file_path: string }[]).map((r) => r.file_path));
}
