// STUB — owner: ingest helper.
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { IngestResult } from "../shared/types.js";

export interface IngestProgress {
  phase: "reading" | "auditing" | "aggregating" | "publishing" | "done";
  rows: number;
  bytes: number;
  elapsedMs: number;
}

export interface IngestOptions {
  ds?: string;
  format?: "auto" | "ndjson" | "csv";
  onProgress?: (p: IngestProgress) => void;
  /** Clock for the checks (tests). */
  now?: Date;
}

/**
 * Stage → audit → publish one partition from one or more export files.
 * Resolves with `published: false` when an error check failed (CLI exit 3);
 * throws UserError (exit 2) for unreadable input or usage errors.
 */
export async function ingestFiles(_db: DB, _cfg: DatasetConfig, _files: string[], _opts: IngestOptions = {}): Promise<IngestResult> {
  throw new Error("not implemented");
}
