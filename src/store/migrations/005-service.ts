import type { Migration } from "./types.js";

/**
 * Tables of the jobs/service (issue 7). One row per uploaded export: the
 * upload is on disk (`file_path`) from the moment the row exists, so a job
 * can be retried after a crash until it ends (published/rejected) and the
 * file is removed. `state` follows docs/service.md.
 */
export const service: Migration = {
  version: 5,
  name: "service",
  sql: `
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  dataset     TEXT NOT NULL,
  ds          TEXT NOT NULL,
  -- raw: the day's events (guardrail ingest); agg: a warehouse-built aggregate (guardrail ingest-agg).
  kind        TEXT NOT NULL DEFAULT 'raw' CHECK (kind IN ('raw', 'agg')),
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'published', 'rejected', 'failed')),
  file_path   TEXT,
  bytes       INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  started_at  TEXT,
  finished_at TEXT,
  result_json TEXT,
  error       TEXT
);
CREATE INDEX jobs_by_state ON jobs (state, created_at);
CREATE INDEX jobs_by_day ON jobs (dataset, ds, created_at);
`,
};
