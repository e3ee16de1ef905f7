/**
 * What the parsing side (a worker thread) and the writing side (the thread
 * that owns SQLite) tell each other during one ingest. Rows travel in compact
 * batches: one Float64Array of numbers (transferred, not copied) and one array
 * of strings; dimension values travel once, as a dictionary.
 */
import type { DatasetConfig } from "../config/load.js";
import type { RowCheck } from "./validate.js";

export interface ProducerInit {
  cfg: DatasetConfig;
  files: string[];
  ds?: string;
  format?: "auto" | "ndjson" | "csv";
  pathDs: string | null;
}

/**
 * Numbers per row in `BatchMsg.nums`: the sequence (rowid offset), the line,
 * the time, then dictionary codes (-1 = NULL) of action_type, dim_hostname,
 * dim_country, dim_device_brand, dim_channel, product_type, app_version
 * (the aggregator's GROUP_COLUMNS order).
 */
export const NUMS = 10;
export const N_CODES = 3;
/** Strings per row in `BatchMsg.texts`: user_id, logged_out_user_id (exact decimal), other_properties JSON. */
export const TEXTS = 3;

export interface RejectItem {
  /** Index of the first batch row that comes after this rejected line. */
  before: number;
  check: RowCheck;
  line: number;
  reason: string;
  file: number;
}

/** A row whose event-key hash matched an earlier row: the writer confirms against the stored row. */
export interface SuspectItem {
  row: number;
  /** This row's sequence, and the sequence of the earlier row with the same hash. */
  seq: number;
  candidate: number;
  hash: number;
  key: string;
}

export type ToWriter =
  | { type: "open"; ds: string }
  | { type: "batch"; file: number; dict: string[]; nums: Float64Array; texts: (string | null)[]; rejects: RejectItem[]; suspects: SuspectItem[]; rowsRead: number; bytes: number }
  | { type: "end"; rowsRead: number; bytes: number }
  | { type: "error"; message: string; exitCode: number }
  | { type: "crash"; message: string; stack?: string };

export type ToProducer = { type: "ack" };
