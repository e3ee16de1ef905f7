/**
 * Write-audit-publish of one partition (DESIGN §2): stream the files, validate
 * every row, stage the good ones under a new batch id (chunked transactions),
 * feed the aggregator, run the raw and aggregate checks, then either publish
 * atomically (replacing the previous published batch of the day) or reject
 * (staged rows kept for inspection). Readers never see staged rows.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { once } from "node:events";
import { parse as csvParse, CsvError } from "csv-parse";
import type { Statement } from "better-sqlite3";
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { CheckResult, EventRow, IngestResult } from "../shared/types.js";
import { UserError, isUserError } from "../shared/errors.js";
import { isValidDs } from "../shared/dates.js";
import { Aggregator } from "../aggregate/aggregator.js";
import { deriveChannel } from "../aggregate/channel.js";
import { runAggChecks } from "../quality/agg-checks.js";
import { computeMetrics, storeMetricValues } from "../metrics/compute.js";
import { hostVolumeWow, newTally, rowCheckResults } from "../quality/raw-checks.js";
import {
  applyRetention,
  createBatch,
  discardBatch,
  insertAggRows,
  insertChecks,
  publishBatch,
  rejectBatch,
  updateBatchCounts,
} from "../store/partitions.js";
import { assertReadable, detectFormat, readText, SourceError, type Format, type ReadCounters } from "./source.js";
import { RowValidator, REQUIRED_COLUMNS, type RowCheck } from "./validate.js";
import { DuplicateIndex, hash53, makeKeyFn, type KeyFn } from "./event-key.js";
import { dsFromPaths } from "./ds.js";

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

/** Rows per write transaction: big enough to amortise the commit, small enough to keep the WAL modest. */
const CHUNK_ROWS = 25_000;
const SAMPLE = 20;
const PROGRESS_EVERY_MS = 250;
/** Rows per multi-row INSERT statement. */
const GROUP_ROWS = 64;
/** Columns bound per staged row. */
const COLS = 12;

/**
 * Stage → audit → publish one partition from one or more export files.
 * Resolves with `published: false` when an error check failed (CLI exit 3);
 * throws UserError (exit 2) for unreadable input or usage errors.
 */
export async function ingestFiles(db: DB, cfg: DatasetConfig, files: string[], opts: IngestOptions = {}): Promise<IngestResult> {
  if (files.length === 0) throw new UserError("ingest: name at least one export FILE.");
  if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds ${opts.ds}: expected a date YYYY-MM-DD.`);
  if (opts.format && !["auto", "ndjson", "csv"].includes(opts.format))
    throw new UserError(`--format ${opts.format}: expected auto, ndjson or csv.`);
  for (const f of files) assertReadable(f);
  const keyFn = makeKeyFn(cfg.event_key);
  const pathDs = opts.ds ? null : dsFromPaths(files);
  return new IngestRun(db, cfg, files, opts, keyFn, pathDs).run();
}

/** The stored timestamp text: the input itself when it already is the canonical `toISOString()` form (most exports), saving a Date per row. */
function isoText(raw: unknown, ms: number): string {
  if (typeof raw === "string" && raw.length === 24 && raw.charCodeAt(10) === 84 && raw.charCodeAt(19) === 46 && raw.charCodeAt(23) === 90) return raw;
  return new Date(ms).toISOString();
}

interface Reject {
  line: number;
  reason: string;
  file?: string;
}

class IngestRun {
  private batchId: number | null = null;
  private ds: string | null = null;
  private validator: RowValidator | null = null;
  private readonly tally = newTally();
  private readonly dups = new DuplicateIndex();
  private readonly aggregator = new Aggregator();
  private readonly hostCounts = new Map<string, number>();
  private readonly channelCache = new Map<string, string>();
  private readonly counters: ReadCounters = { bytes: 0 };
  private readonly hash = createHash("sha256");
  private readonly started = Date.now();
  private lastProgress = 0;
  private rowsRead = 0;
  private rowsLoaded = 0;
  private rowsRejected = 0;
  private pendingRows = 0;
  private pendingRejects: Reject[] = [];
  private readonly sample: Reject[] = [];
  private file = "";
  private fileLine = 0;
  private readonly multi: boolean;
  private readonly insertStmts = new Map<number, Statement<unknown[]>>();
  /** Rows waiting for the next multi-row INSERT (COLS values each), and their event keys. */
  private group: unknown[] = [];
  private readonly groupHashes: number[] = [];
  private readonly groupKeys: string[] = [];
  private readonly groupLines: number[] = [];
  private rejectStmt: Statement<unknown[]> | null = null;
  private byRowid: Statement<unknown[]> | null = null;

  constructor(
    private readonly db: DB,
    private readonly cfg: DatasetConfig,
    private readonly files: string[],
    private readonly opts: IngestOptions,
    private readonly keyFn: KeyFn,
    private readonly pathDs: string | null,
  ) {
    this.multi = files.length > 1;
  }

  async run(): Promise<IngestResult> {
    try {
      for (const f of this.files) await this.readFile(f);
      if (this.batchId === null) this.openWithoutRecord();
      this.flush(false);
      return this.finish();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      if (this.batchId !== null) discardBatch(this.db, this.batchId);
      if (isUserError(err)) throw err;
      if (err instanceof SourceError) throw new UserError(`${this.file}: ${err.message} after line ${this.fileLine}.`);
      if (err instanceof CsvError) {
        const line = (err as CsvError & { lines?: number }).lines;
        throw new UserError(`${this.file}:${line ? ` line ${line}:` : ""} not valid CSV (${err.message.replace(/\.$/, "")}).`);
      }
      throw err;
    }
  }

  // ------------------------------------------------------------ reading

  private async readFile(file: string): Promise<void> {
    this.file = file;
    this.fileLine = 0;
    const chunks = readText(file, this.counters, this.hash);
    const first = await chunks.next();
    if (first.done) return; // empty file: contributes no rows
    const format: Format = this.opts.format && this.opts.format !== "auto" ? this.opts.format : detectFormat(first.value);
    if (format === "ndjson") await this.readNdjson(first.value, chunks);
    else await this.readCsv(first.value, chunks);
  }

  private async readNdjson(first: string, rest: AsyncGenerator<string>): Promise<void> {
    let carry = "";
    const consume = (chunk: string, final: boolean) => {
      const text = carry ? carry + chunk : chunk;
      let start = 0;
      for (;;) {
        const nl = text.indexOf("\n", start);
        if (nl < 0) break;
        this.fileLine++;
        this.ndjsonLine(text, start, nl);
        start = nl + 1;
      }
      carry = text.slice(start);
      if (final && carry) {
        this.fileLine++;
        this.ndjsonLine(carry, 0, carry.length);
        carry = "";
      }
    };
    consume(first, false);
    for await (const chunk of rest) consume(chunk, false);
    consume("", true);
  }

  private ndjsonLine(text: string, start: number, end: number): void {
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (end === start) return;
    const line = text.slice(start, end);
    if (line.charCodeAt(0) !== 123 /* { */ && line.trim() === "") return;
    this.rowsRead++;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      this.reject("row_format", this.fileLine, `malformed JSON (${(err as Error).message.split("\n")[0]}).`);
      return;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      this.reject("row_format", this.fileLine, "expected a JSON object per line.");
      return;
    }
    this.record(rec as Record<string, unknown>, this.fileLine, line);
  }

  private async readCsv(first: string, rest: AsyncGenerator<string>): Promise<void> {
    const parser = csvParse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true });
    const feed = (async () => {
      try {
        if (!parser.write(first)) await once(parser, "drain");
        for await (const chunk of rest) if (!parser.write(chunk)) await once(parser, "drain");
        parser.end();
      } catch (err) {
        parser.destroy(err as Error);
      }
    })();
    let header: string[] | null = null;
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      this.fileLine = info.lines;
      if (!header) {
        header = record.map((h) => h.trim().toLowerCase());
        const missing = REQUIRED_COLUMNS.filter((c) => !header!.includes(c));
        if (missing.length)
          throw new UserError(
            `${this.file}: line ${info.lines}: the CSV header lacks column(s) ${missing.join(", ")} (expected at least ${REQUIRED_COLUMNS.join(", ")}).`,
          );
        continue;
      }
      this.rowsRead++;
      if (record.length !== header.length) {
        this.reject("row_format", info.lines, `expected ${header.length} columns as in the header, got ${record.length}.`);
        continue;
      }
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) rec[header[i]] = record[i];
      this.record(rec, info.lines, null);
    }
    await feed;
  }

  // ------------------------------------------------------------ rows

  private record(rec: Record<string, unknown>, line: number, rawLine: string | null): void {
    if (this.batchId === null) this.open(rec, line);
    const r = this.validator!.validate(rec, line, rawLine);
    if ("check" in r) return this.reject(r.check, line, r.reason);
    if (this.cfg.checks.duplicates.enabled) {
      const key = this.keyFn(r);
      const h = hash53(key);
      const firstLine = this.firstLineOfKey(h, key);
      if (firstLine) return this.reject("duplicates", line, `duplicate event key (${this.cfg.event_key.join(", ")}) of line ${firstLine}.`);
      this.groupHashes.push(h);
      this.groupKeys.push(key);
      this.groupLines.push(line);
    }
    const channel = this.channel(r);
    this.group.push(
      this.batchId,
      line,
      r.user_id,
      r.logged_out_user_id,
      r.dim_hostname,
      r.dim_country,
      r.dim_device_brand,
      r.action_type,
      isoText(rec.event_timestamp, r.event_ms),
      JSON.stringify(r.other_properties),
      channel,
      r.ds,
    );
    this.aggregator.add(r, channel);
    this.rowsLoaded++;
    this.hostCounts.set(r.dim_hostname, (this.hostCounts.get(r.dim_hostname) ?? 0) + 1);
    if (this.group.length === GROUP_ROWS * COLS) this.insertGroup();
    if (++this.pendingRows >= CHUNK_ROWS) this.flush(true);
  }

  /** Line of an earlier event with this key (still in the group being built, or already staged), or 0. */
  private firstLineOfKey(h: number, key: string): number {
    for (let i = 0; i < this.groupHashes.length; i++) if (this.groupHashes[i] === h && this.groupKeys[i] === key) return this.groupLines[i];
    const rowid = this.dups.find(h, (id) => this.keyOfRow(id) === key);
    return rowid ? Number((this.byRowid!.get(rowid) as { line: bigint }).line) : 0;
  }

  /**
   * Inserts the buffered rows with one multi-row INSERT (per-statement overhead
   * dominates single-row inserts). Rowids of one INSERT are consecutive, so the
   * duplicate index learns each row's rowid from the last one.
   */
  private insertGroup(): void {
    const n = this.group.length / COLS;
    if (n === 0) return;
    const info = this.insertStmt(n).run(this.group);
    const last = Number(info.lastInsertRowid);
    for (let i = 0; i < this.groupHashes.length; i++) this.dups.add(this.groupHashes[i], last - n + 1 + i);
    this.group = [];
    this.groupHashes.length = 0;
    this.groupKeys.length = 0;
    this.groupLines.length = 0;
  }

  private channel(e: EventRow): string {
    const p = e.other_properties;
    const key = `${p.utm_medium ?? ""}\u0001${p.utm_source ?? ""}\u0001${p.referrer ?? ""}\u0001${e.dim_hostname}`;
    let c = this.channelCache.get(key);
    if (c === undefined) {
      c = deriveChannel(p, e.dim_hostname, this.cfg.channels);
      if (this.channelCache.size > 50_000) this.channelCache.clear();
      this.channelCache.set(key, c);
    }
    return c;
  }

  /** The event key of an already staged row, rebuilt from the table (exact ids via BigInt). */
  private keyOfRow(rowid: number): string {
    const row = this.byRowid!.get(rowid) as Record<string, unknown>;
    const e: EventRow = {
      line: Number(row.line),
      user_id: row.user_id === null ? null : String(row.user_id),
      logged_out_user_id: String(row.logged_out_user_id),
      dim_hostname: row.dim_hostname as string,
      dim_country: row.dim_country as string,
      dim_device_brand: row.dim_device_brand as string | null,
      action_type: row.action_type as string,
      event_ms: Date.parse(row.event_timestamp as string),
      other_properties: row.other_properties ? (JSON.parse(row.other_properties as string) as Record<string, string>) : {},
      ds: row.ds as string,
    };
    return this.keyFn(e);
  }

  private reject(check: RowCheck, line: number, reason: string): void {
    const r: Reject = { line, reason: this.multi ? `${basename(this.file)}: ${reason}` : reason };
    if (this.multi) r.file = this.file;
    this.rowsRejected++;
    this.tally.counts[check]++;
    this.tally.firstAt[check] ??= `${basename(this.file)} line ${line}`;
    if (this.sample.length < SAMPLE) this.sample.push({ line, reason, ...(this.multi ? { file: this.file } : {}) });
    this.pendingRejects.push(r);
    if (this.pendingRejects.length >= CHUNK_ROWS && this.batchId !== null) this.flush(true);
  }

  private insertStmt(rows: number): Statement<unknown[]> {
    let stmt = this.insertStmts.get(rows);
    if (!stmt) {
      const one = `(${Array(COLS).fill("?").join(", ")})`;
      stmt = this.db.prepare(
        `INSERT INTO fct_website_events (batch_id, line, user_id, logged_out_user_id, dim_hostname, dim_country, dim_device_brand,
           action_type, event_timestamp, other_properties, dim_channel, ds) VALUES ${Array(rows).fill(one).join(", ")}`,
      );
      this.insertStmts.set(rows, stmt);
    }
    return stmt;
  }

  /** Commits the open chunk (rows + rejects) and, when `reopen`, starts the next one. */
  private flush(reopen: boolean): void {
    if (this.batchId === null) return;
    this.insertGroup();
    for (const r of this.pendingRejects) this.rejectStmt!.run(this.batchId, r.line, r.reason);
    this.pendingRejects = [];
    this.pendingRows = 0;
    if (this.db.inTransaction) this.db.exec("COMMIT");
    if (reopen) this.db.exec("BEGIN");
    this.progress("reading");
  }

  private progress(phase: IngestProgress["phase"], force = false): void {
    if (!this.opts.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.lastProgress = now;
    this.opts.onProgress({ phase, rows: this.rowsRead, bytes: this.counters.bytes, elapsedMs: now - this.started });
  }

  // ------------------------------------------------------------ batch

  /** Decides the partition's ds from the first record, creates the staged batch and opens the first chunk. */
  private open(rec: Record<string, unknown>, line: number): void {
    let ds = this.opts.ds ?? null;
    if (!ds) {
      const rowDs = typeof rec.ds === "string" && isValidDs(rec.ds.trim()) ? rec.ds.trim() : null;
      if (rowDs && this.pathDs && rowDs !== this.pathDs)
        throw new UserError(
          `${this.file}: line ${line}: the rows say ds ${rowDs} but the path says ds=${this.pathDs}; pass --ds to choose the partition.`,
        );
      ds = rowDs ?? this.pathDs;
    }
    if (!ds)
      throw new UserError(
        `${this.file}: no ds for this partition: pass --ds YYYY-MM-DD, give the rows a ds column, or put the file under a ds=YYYY-MM-DD folder.`,
      );
    this.ds = ds;
    this.validator = new RowValidator(this.cfg, ds);
    this.batchId = createBatch(this.db, {
      dataset: this.cfg.name,
      ds,
      kind: "raw",
      source_file: this.files.join(", "),
    });
    this.rejectStmt = this.db.prepare(`INSERT INTO rejects (batch_id, line, reason) VALUES (?, ?, ?)`);
    this.byRowid = this.db
      .prepare(
        `SELECT line, user_id, logged_out_user_id, dim_hostname, dim_country, dim_device_brand, action_type, event_timestamp, other_properties, ds
         FROM fct_website_events WHERE rowid = ?`,
      )
      .safeIntegers(true);
    this.db.exec("BEGIN");
  }

  /** No record could be parsed: an empty input is a usage error; unparseable lines still make a (rejected) batch. */
  private openWithoutRecord(): void {
    if (this.rowsRead === 0)
      throw new UserError(`${this.files.join(", ")}: contains no events (the file${this.multi ? "s are" : " is"} empty or only a header).`);
    this.open({}, 0);
  }

  private finish(): IngestResult {
    const { db, cfg } = this;
    const batchId = this.batchId!;
    const ds = this.ds!;
    this.progress("auditing", true);
    updateBatchCounts(db, batchId, this.counts());
    const checks: CheckResult[] = rowCheckResults(cfg, this.tally, this.rowsRead);
    checks.push(hostVolumeWow(db, cfg, ds, this.hostCounts));
    this.progress("aggregating", true);
    const aggRows = this.aggregator.rows(ds);
    insertAggRows(db, batchId, aggRows);
    checks.push(...runAggChecks(db, cfg, ds, aggRows));
    insertChecks(db, batchId, checks);
    const published = !checks.some((c) => c.status === "fail" && c.severity === "error");
    const result: IngestResult = {
      ds,
      dataset: cfg.name,
      published,
      ...this.counts(),
      checks,
      rejects_sample: this.sample,
      batch_id: batchId,
      source_files: this.files,
    };
    db.prepare(`UPDATE partitions SET checksum = ? WHERE id = ?`).run(this.hash.digest("hex"), batchId);
    if (published) {
      this.progress("publishing", true);
      storeMetricValues(db, batchId, computeMetrics(cfg, ds, aggRows));
      publishBatch(db, batchId, result);
      applyRetention(db, cfg, this.opts.now ?? new Date());
    } else {
      rejectBatch(db, batchId, result);
    }
    this.progress("done", true);
    return result;
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
