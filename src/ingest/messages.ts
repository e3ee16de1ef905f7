/**
 * What the parsing side (a worker thread) and the writing side (the thread
 * that owns SQLite) tell each other during one ingest. Rows travel in compact
 * batches: one Float64Array of numbers (transferred, not copied) and the rows'
 * stored form, a raw block built by the parser; dimension values travel once,
 * as a dictionary.
 */
import type { DatasetConfig } from "../config/load.js";
import type { RowCheck } from "../events/validate.js";
import type { Block } from "../store/raw-blocks.js";

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
 * dim_country, dim_device_brand, the event's raw source key (in
 * dim_channel's place: see src/events/channel.ts sourceKey; -1 when it
 * names no source), product_type, app_version (the aggregator's GROUP_COLUMNS order), then the event key's 53-bit hash
 * (0 when the duplicate check is off; the writer keeps the duplicate index),
 * then the event's local hour in the dataset's zone, then logged_out_user_id and user_id split
 * by the aggregator's splitIntId() (3 numbers each; the user's 0 when NULL): the
 * parser does that work, off the writer's thread; then 1 when user_id is not NULL.
 * An opaque string id is [STRING_ID, its index in the batch's `strIds`, 0].
 */
export const NUMS = 19;
/** Offset of the split ids in a row of `BatchMsg.nums`. */
export const IDS_AT = 12;
export const N_CODES = 3;
export const HAS_USER = 18;
export { STRING_ID } from "../events/id-table.js";

export interface RejectItem {
  /** Index of the first batch row that comes after this rejected line. */
  before: number;
  check: RowCheck;
  line: number;
  reason: string;
  file: number;
}


/** What every batch carries besides its rows. */
interface BatchFields {
  file: number;
  /** Values new to the dictionary that `nums`' codes index. */
  dict: string[];
  /** Line numbers of the rows count from here. */
  lineBase: number;
  /** The batch's opaque string ids, which its rows' ids index (see NUMS). */
  strIds: string[];
  rejects: RejectItem[];
  rowsRead: number;
  bytes: number;
}

/**
 * Buffers a parse worker writes batches into and the writer reads them
 * from, reused batch after batch: no buffer is allocated, transferred and
 * garbage-collected per batch (which cost ~60 MB of RSS in the allocator's
 * caches and a major GC every ~100 ms on the writer's thread).
 */
export interface BatchSlot {
  nums: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  body: SharedArrayBuffer;
}

export type ToWriter =
  | { type: "open"; ds: string }
  | (BatchFields & {
      type: "batch";
      nums: Float64Array;
      /** The rows as stored (a raw block). */
      block: Block;
    })
  /** A batch written into slot `slot` of the worker's BatchSlots (chunk mode); the writer frees the slot once it is stored. */
  | (BatchFields & { type: "slotBatch"; slot: number; rows: number; bodyBytes: number; blockDict: string })
  | { type: "end"; rowsRead: number; bytes: number }
  /** Chunk mode: every batch of chunk `chunk` was sent; it held `lines` lines, `rowsRead` of them not blank. */
  | { type: "chunkEnd"; chunk: number; lines: number; rowsRead: number }
  | { type: "error"; message: string; exitCode: number }
  | { type: "crash"; message: string; stack?: string };

/** `range`: parse the lines that start in bytes [start, end) of the file (chunk mode). */
export type ToProducer = { type: "ack" } | { type: "range"; chunk: number; start: number; end: number } | { type: "free"; slot: number };

/** What a parse worker is started with: the whole-file producer, or one of several chunk parsers. */
export type WorkerInit =
  | { mode: "file"; init: ProducerInit }
  | { mode: "chunks"; init: ProducerInit; ds: string; fileSize: number; slots: BatchSlot[] };
