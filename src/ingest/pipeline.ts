/**
 * Write-audit-publish of one partition (docs/architecture.md). Threads share the work:
 * a Producer (a worker thread, see producer.ts; two of them on byte ranges
 * of one large NDJSON file, see chunked.ts) parses, validates, hashes event
 * keys and derives channels; this side owns SQLite and stages the rows it
 * receives under a new batch id (chunked transactions), files the rejects,
 * keeps the duplicate index (in row order) and confirms every hash match
 * against the stored row, feeds the aggregator,
 * then runs the raw checks and hands the day to the publish tail it shares
 * with `ingest-agg` (src/publish/publish.ts): aggregate checks, then an atomic
 * publish (replacing the previous published batch of the day) or a reject
 * (staged rows kept for inspection). Readers never see staged rows.
 */
import { basename } from "node:path";
import { BlockStager, storeVisitChannels, type BlockExtent, type StoredRow } from "../store/raw-blocks.js";
import { chunkedWrite, type DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { AggRow, CheckResult, IngestResult } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { Aggregator } from "../aggregate/aggregator.js";
import { levelThread } from "../aggregate/level-thread.js";
import { hostVolumeWow, newTally, rowCheckResults } from "../quality/raw-checks.js";
import { createBatch, discardAbandonedBatches, discardBatch, rejectWriter, updateBatchCounts } from "../store/partitions.js";
import { openDayReason, publishDay } from "../publish/publish.js";
import { statSync } from "node:fs";
import { assertReadable, isGzipFile, sha256OfFiles } from "../events/source.js";
import { KNOWN_COLUMNS, type RowCheck } from "../events/validate.js";
import { DuplicateIndex, makeKeyFn, type KeyFn } from "./event-key.js";
import { dsFromPaths } from "../events/ds.js";
import { HAS_USER, IDS_AT, N_CODES, NUMS, type RejectItem, type ToWriter } from "./messages.js";
import { startProducer, type ProducerHandle } from "./transport.js";
import { rejectForCap, type CapFailure } from "./cap-audit.js";

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
  /** Clock for the checks and for "has the day ended" (tests). */
  now?: Date;
  /**
   * Publish a day that fails only completeness, or has not ended yet, marked
   * partial (docs/ingest.md, "Completeness") instead of refusing it.
   */
  allowPartial?: boolean;
}

/** Where the wall time went (an added field of the ingest JSON). */
export interface IngestTimings {
  /** Reading, parsing, validating and staging every row (the streamed part). */
  read_ms: number;
  /** Raw-partition checks. */
  audit_ms: number;
  /** Building the rollups (on the worker), storing them, and the aggregate checks. */
  aggregate_ms: number;
  /** Metric values. */
  metrics_ms: number;
  /** Publish or reject, and retention. */
  publish_ms: number;
}

export type IngestOutcome = IngestResult & { timings: IngestTimings };

/** Rows per write transaction: big enough to amortise the commit, small enough to keep the WAL modest. */
const CHUNK_ROWS = 50_000;
/**
 * …and held at most this long: the service writes the same file (webhooks,
 * check runs) and waits for this lock (docs/operations.md#under-load).
 */
const CHUNK_MS = 100;
const SAMPLE = 20;
const PROGRESS_EVERY_MS = 250;
/** Days with at least this many events count half of their aggregation levels on a second thread (a thread costs ~30 ms to start). */
function levelThreadMin(): number {
  const env = Number(process.env.GUARDRAIL_LEVEL_THREAD_MIN);
  return Number.isInteger(env) && env >= 0 ? env : 200_000;
}
/** A low estimate of an export row's size (the usual rows are ~360 bytes). */
const BYTES_PER_ROW = 400;

/**
 * Stage → audit → publish one partition from one or more export files.
 * Resolves with `published: false` when an error check failed (CLI exit 3);
 * throws UserError (exit 2) for unreadable input or usage errors.
 */
export async function ingestFiles(db: DB, cfg: DatasetConfig, files: string[], opts: IngestOptions = {}): Promise<IngestOutcome> {
  if (files.length === 0) throw new UserError("ingest: name at least one export FILE.");
  if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds ${opts.ds}: expected a date YYYY-MM-DD ${DS_BOUNDS}.`);
  if (opts.format && !["auto", "ndjson", "csv"].includes(opts.format))
    throw new UserError(`--format ${opts.format}: expected auto, ndjson or csv.`);
  for (const f of files) assertReadable(f);
  const keyFn = makeKeyFn(cfg.event_key);
  checkNotNullColumns(cfg);
  const pathDs = opts.ds ? null : dsFromPaths(files);
  // Known before reading: refuse a day that has not ended without reading a row.
  const knownDs = opts.ds ?? pathDs;
  if (knownDs !== null) openDayReason(cfg, knownDs, opts);
  // Attempts a crash left staged would otherwise keep their rows forever.
  discardAbandonedBatches(db, cfg.name);
  return new IngestRun(db, cfg, files, opts, keyFn, pathDs).run();
}

/** A misspelt not_null column would otherwise reject every row as "empty": say which field is wrong instead. */
function checkNotNullColumns(cfg: DatasetConfig): void {
  if (!cfg.checks.not_null.enabled) return;
  cfg.checks.not_null.columns.forEach((col, i) => {
    if (!KNOWN_COLUMNS.includes(col))
      throw new UserError(`configuration field checks.not_null.columns[${i}]: "${col}" is not a column (expected one of ${KNOWN_COLUMNS.join(", ")}).`);
  });
}

interface Reject {
  line: number;
  reason: string;
  file?: string;
}

class IngestRun {
  private batchId: number | null = null;
  private ds: string | null = null;
  private producer: ProducerHandle | null = null;
  private readonly tally = newTally();
  private readonly started = performance.now();
  private lastProgress = 0;
  private rowsRead = 0;
  private bytes = 0;
  private rowsLoaded = 0;
  private rowsRejected = 0;
  private pendingRows = 0;
  private chunkStarted = performance.now();
  private readonly sample: Reject[] = [];
  private readonly multi: boolean;
  /** Dictionary of the batch: code → dimension value. */
  private readonly values: string[] = [];
  /** Rows whose key hash matched an earlier key of a different event (rare): hash → sequences. */
  private readonly collisions = new Map<number, number[]>();
  /** Event-key hash → sequence of its first row (the producer hashes; this side decides, in row order). */
  private dups: DuplicateIndex;
  private blocks: BlockStager | null = null;
  /** The staged blocks, once every row is in. */
  private extents: readonly BlockExtent[] = [];
  private fileRejectRow: ((line: number, reason: string) => void) | null = null;
  private checksum: Promise<string> = Promise.resolve("");
  private readonly aggregator: Aggregator;
  /** Rows per dim_hostname dictionary code (week-over-week host check). */
  private hostCounts = new Float64Array(64);
  private readonly timings: IngestTimings = { read_ms: 0, audit_ms: 0, aggregate_ms: 0, metrics_ms: 0, publish_ms: 0 };
  private checks: CheckResult[] = [];
  /** Why the day can only be published partial (it had not ended), or null. */
  private partial: string | null = null;
  private settle: { resolve: (r: IngestOutcome) => void; reject: (e: unknown) => void } | null = null;

  constructor(
    private readonly db: DB,
    private readonly cfg: DatasetConfig,
    private readonly files: string[],
    private readonly opts: IngestOptions,
    private readonly keyFn: KeyFn,
    private readonly pathDs: string | null,
  ) {
    this.multi = files.length > 1;
    this.aggregator = new Aggregator(undefined, cfg.channels);
    // Sized for the expected rows up front: growing it re-places every entry (cache misses, on the busiest thread).
    const plainBytes = files.reduce((sum, f) => sum + (isGzipFile(f) ? 0 : statSync(f).size), 0);
    this.dups = new DuplicateIndex(cfg.checks.duplicates.enabled ? Math.min(plainBytes / BYTES_PER_ROW / 0.7, 1 << 24) : 16);
  }

  run(): Promise<IngestOutcome> {
    this.aggregator.useDictionary(this.values);
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.producer = startProducer(
        { cfg: this.cfg, files: this.files, ds: this.opts.ds, format: this.opts.format, pathDs: this.pathDs },
        (msg) => this.onMessage(msg),
      );
      this.checksum = this.producer.checksum ?? sha256OfFiles(this.files);
      this.checksum.catch(() => undefined); // a read error surfaces through the producer first
    });
  }

  private onMessage(msg: ToWriter): void {
    if (!this.settle) return;
    try {
      switch (msg.type) {
        case "open":
          return this.open(msg.ds);
        case "batch":
          return this.batch(msg);
        case "end":
          this.endOfInput(msg);
          void this.complete();
          return;
        case "error":
          if (msg.cap) return this.rejectForCap({ ...msg.cap, message: msg.message });
          throw new UserError(msg.message, msg.exitCode);
        case "crash": {
          const err = new Error(msg.message);
          if (msg.stack) err.stack = msg.stack;
          throw err;
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Builds the aggregate (half of its levels on another thread for a large day), then audits and publishes. */
  private async complete(): Promise<void> {
    try {
      const t2 = performance.now();
      this.progress("aggregating", true);
      const offload = this.aggregator.size >= levelThreadMin() ? levelThread() : null;
      const rows = offload ? await this.aggregator.rowsWith(this.ds!, offload) : this.aggregator.rows(this.ds!);
      const checksum = await this.checksum;
      if (this.settle) this.finish(checksum, rows, t2);
    } catch (err) {
      if (this.settle) this.fail(err);
    }
  }

  /** Ends the run: stops reading and drops the staged rows. */
  private abandon(): void {
    this.settle = null;
    this.producer?.stop();
    chunkedWrite.abort(this.db);
    if (this.batchId !== null) discardBatch(this.db, this.batchId);
  }

  private fail(err: unknown): void {
    const settle = this.settle!;
    try {
      this.abandon();
    } finally {
      settle.reject(err);
    }
  }

  /** A file past a cap fails the audit under the cap's check (src/ingest/cap-audit.ts): the rows staged so far go. */
  private rejectForCap(cap: CapFailure): void {
    const settle = this.settle!;
    try {
      this.abandon();
      const result = rejectForCap(this.db, this.cfg, this.ds ?? this.opts.ds ?? this.pathDs, "raw", this.files, cap, this.rowsRead);
      settle.resolve({ ...result, timings: this.timings });
    } catch (err) {
      settle.reject(err);
    }
  }

  // ------------------------------------------------------------ staging

  private open(ds: string): void {
    this.partial = openDayReason(this.cfg, ds, this.opts);
    this.ds = ds;
    this.batchId = createBatch(this.db, { dataset: this.cfg.name, ds, kind: "raw", source_file: this.files.join(", ") });
    this.blocks = new BlockStager(this.db, this.batchId);
    this.fileRejectRow = rejectWriter(this.db, this.batchId);
    chunkedWrite.begin(this.db);
    this.chunkStarted = performance.now();
  }

  private batch(m: Extract<ToWriter, { type: "batch" }>): void {
    for (const v of m.dict) this.values.push(v);
    const { nums, rejects } = m;
    const n = nums.length / NUMS;
    const agg = this.aggregator;
    agg.useStringIds(m.strIds);
    const dups = this.dups;
    const blocks = this.blocks!;
    blocks.open(n > 0 ? nums[0] : 0, m.lineBase, m.block);
    const dropped: number[] = [];
    let ri = 0;
    for (let i = 0; i < n; i++) {
      while (ri < rejects.length && rejects[ri].before <= i) this.fileReject(rejects[ri++]);
      const o = i * NUMS;
      const h = nums[o + 10];
      if (h !== 0) {
        const candidate = dups.firstOrAdd(h, nums[o]);
        if (candidate >= 0) {
          const firstLine = this.earlierLine(h, candidate, nums[o]);
          if (firstLine > 0) {
            this.reject("duplicates", nums[o + 1], `duplicate event key (${this.cfg.event_key.join(", ")}) of line ${firstLine}.`, m.file);
            dropped.push(i);
            continue;
          }
        }
      }
      this.rowsLoaded++;
      agg.addCodedSplit(nums, o + N_CODES, nums[o + 11], nums[o + 2], nums, o + IDS_AT, nums[o + HAS_USER] === 1);
      const host = nums[o + 4];
      if (host >= this.hostCounts.length) this.growHostCounts(host);
      this.hostCounts[host]++;
    }
    while (ri < rejects.length) this.fileReject(rejects[ri++]);
    blocks.write(dropped);
    this.rowsRead = m.rowsRead;
    this.bytes = m.bytes;
    this.pendingRows += n;
    if (this.pendingRows >= CHUNK_ROWS || performance.now() - this.chunkStarted >= CHUNK_MS) {
      chunkedWrite.commit(this.db);
      chunkedWrite.begin(this.db);
      this.pendingRows = 0;
      this.chunkStarted = performance.now();
      // Reported after a commit, so "reading N rows" means rows are durably staged.
      this.progress("reading");
    }
    this.producer!.post({ type: "ack" });
  }

  private growHostCounts(code: number): void {
    const bigger = new Float64Array((code + 1) * 2);
    bigger.set(this.hostCounts);
    this.hostCounts = bigger;
  }

  /**
   * Line of an earlier staged event with exactly this key, or 0. The producer
   * only knows hashes; the stored rows decide, so a hash collision never rejects a row.
   */
  private earlierLine(hash: number, candidate: number, seq: number): number {
    const key = this.keyOf(this.blocks!.row(seq)!);
    const candidates = [candidate, ...(this.collisions.get(hash) ?? [])];
    for (const c of candidates) {
      const row = this.blocks!.row(c);
      if (row && this.keyOf(row) === key) return row.line;
    }
    (this.collisions.get(hash) ?? this.collisions.set(hash, []).get(hash)!).push(seq);
    return 0;
  }

  /** The event key of a staged row, rebuilt exactly (ids as their stored digits). */
  private keyOf(row: StoredRow): string {
    return this.keyFn({ ...row, other_properties: JSON.parse(row.other_properties) as Record<string, string>, ds: this.ds! });
  }

  private fileReject(r: RejectItem): void {
    this.reject(r.check, r.line, r.reason, r.file);
  }

  private reject(check: RowCheck, line: number, reason: string, fileIndex: number): void {
    const file = this.files[fileIndex];
    this.rowsRejected++;
    this.tally.counts[check]++;
    this.tally.firstAt[check] ??= `${basename(file)} line ${line}`;
    if (this.sample.length < SAMPLE) this.sample.push({ line, reason, ...(this.multi ? { file } : {}) });
    this.fileRejectRow!(line, this.multi ? `${basename(file)}: ${reason}` : reason);
  }

  private progress(phase: IngestProgress["phase"], force = false): void {
    if (!this.opts.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.lastProgress = now;
    this.opts.onProgress({ phase, rows: this.rowsRead, bytes: this.bytes, elapsedMs: Math.round(now - this.started) });
  }

  // ------------------------------------------------------------ audit and publish

  /** Every row is staged: commit and run the raw-partition checks. */
  private endOfInput(m: Extract<ToWriter, { type: "end" }>): void {
    this.producer!.stop();
    // Every row is in: free the duplicate index (50 MB at 2M events) before the aggregate build needs its memory.
    this.dups = new DuplicateIndex(16);
    this.rowsRead = m.rowsRead;
    this.bytes = m.bytes;
    this.extents = this.blocks!.extents;
    this.blocks = null;
    chunkedWrite.commit(this.db);
    const t0 = performance.now();
    this.timings.read_ms = Math.round(t0 - this.started);
    this.progress("auditing", true);
    updateBatchCounts(this.db, this.batchId!, this.counts());
    this.checks = rowCheckResults(this.cfg, this.tally, this.rowsRead);
    const hosts = new Map<string, number>();
    this.hostCounts.forEach((n, code) => n > 0 && hosts.set(this.values[code], n));
    this.checks.push(hostVolumeWow(this.db, this.cfg, this.ds!, hosts));
    this.timings.audit_ms = Math.round(performance.now() - t0);
  }

  private finish(checksum: string, rows: AggRow[], t2: number): void {
    const batchId = this.batchId!;
    const visits = this.aggregator.visitChannels;
    storeVisitChannels(this.db, batchId, this.extents, visits.values as string[], (k) => visits.codes[k]);
    const t3 = performance.now();
    const { result, steps } = publishDay(
      this.db,
      this.cfg,
      {
        batchId,
        ds: this.ds!,
        rows,
        audit: this.checks,
        counts: this.counts(),
        rejectsSample: this.sample,
        sourceFiles: this.files,
        openDay: this.partial,
        checksum,
      },
      {
        allowPartial: this.opts.allowPartial,
        now: this.opts.now,
        onChecked: (ms) => (this.timings.aggregate_ms = Math.round(t3 - t2 + ms)),
        onPublishing: () => this.progress("publishing", true),
        extra: { timings: this.timings },
      },
    );
    this.timings.metrics_ms = Math.round(steps.metrics_ms);
    this.timings.publish_ms = Math.round(steps.publish_ms);
    this.progress("done", true);
    const settle = this.settle!;
    this.settle = null;
    settle.resolve(result);
  }

  private counts() {
    return {
      rows_read: this.rowsRead,
      rows_loaded: this.rowsLoaded,
      rows_rejected: this.rowsRejected,
      duplicates: this.tally.counts.duplicates,
    };
  }
}
