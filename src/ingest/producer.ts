/**
 * The parsing side of an ingest (normally a worker thread): reads the files
 * (or, in chunk mode, byte ranges the writer side hands out), parses and
 * validates every row, hashes its event key, derives the channel, and hands
 * the writer compact batches.
 * At most WINDOW batches are unacknowledged at any time (backpressure: memory
 * stays bounded whatever the file size). The writer owns SQLite, the reject
 * tally, the aggregate, and the verdict on rows whose key hash matched an earlier row.
 */
import { CsvError } from "csv-parse";
import type { EventRow } from "../shared/types.js";
import { UserError, isUserError } from "../shared/errors.js";
import { ownCopy } from "../shared/strings.js";
import { isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { deriveChannel, sourceKey, sourceParts } from "../events/channel.js";
import { csvRecords, detectFormat, readText, SourceError, type Format, type ReadCounters } from "../events/source.js";
import { RowValidator, REQUIRED_COLUMNS, isNull, type RowCheck } from "../events/validate.js";
import { ActionResolver, shown } from "../events/values.js";
import { FastRowParser } from "./fast-row.js";
import { inputLimitsFromEnv, lineTooLongError, type InputLimits } from "../events/limits.js";
import { makeKeyHashFn } from "./event-key.js";
import { ID_INT64, ID_STRING, splitIntId } from "../events/id-table.js";
import { dayClock, localHour, type DayClock } from "../shared/dates.js";
import { BlockBuilder } from "../store/raw-blocks.js";
import { HAS_USER, IDS_AT, NUMS, STRING_ID, type BatchSlot, type ProducerInit, type RejectItem, type ToProducer, type ToWriter } from "./messages.js";

/** Bytes decoded to a string at a time in chunk mode (below V8's large-object size). */
const DECODE_BYTES = 64 * 1024;
/** Rows per batch at most. */
export const BATCH_ROWS = 8192;
const WINDOW = 4;



interface Sourced {
  channel: string;
  key: string;
}

export class Producer {
  private ds: string | null = null;
  private validator: RowValidator | null = null;
  /** The partition's day in the dataset's zone (event_hour is its local hour). */
  private clock: DayClock | null = null;
  /** The batch's opaque string ids (see NUMS). */
  private strIds: string[] = [];
  private fast: FastRowParser | null = null;
  private readonly keyHash: (e: EventRow) => number;
  private readonly dupOn: boolean;
  /** dim_hostname → utm_medium → utm_source → referrer → the event's own channel and its raw source key (few distinct combinations; no per-row key string). */
  private channelCache = new Map<string, Map<string, Map<string, Map<string, Sourced>>>>();
  private channelCacheSize = 0;
  private readonly dict = new Map<string, number>();
  /** Code → value of `dict`. */
  private readonly values: string[] = [];
  private newDict: string[] = [];
  /** The batch's stored rows (one raw block per batch) and the block's own dictionary: worker code → index + 1. */
  private readonly block = new BlockBuilder();
  private blockIndex = new Int32Array(256);
  private blockCodes: number[] = [];
  private readonly counters: ReadCounters = { bytes: 0 };
  private seq = 0;
  private rowsRead = 0;
  private file = "";
  private fileIndex = 0;
  private fileLine = 0;
  private nums: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** Chunk mode: the shared slots (views over them) and which are free; the slot of the batch being built, or -1. */
  private slots: { nums: Float64Array; offsets: Int32Array; body: Buffer }[] = [];
  private readonly freeSlots: number[] = [];
  private slot = -1;
  private rows = 0;
  private rejects: RejectItem[] = [];
  private inFlight = 0;
  private wake: (() => void) | null = null;
  /** The worker inherits the ingest's environment, so the CLI's and the service's caps apply here. */
  private readonly limits: InputLimits = inputLimitsFromEnv();

  constructor(
    private readonly init: ProducerInit,
    private readonly send: (msg: ToWriter, transfer?: ArrayBuffer[]) => void,
  ) {
    this.keyHash = makeKeyHashFn(init.cfg.event_key);
    this.dupOn = init.cfg.checks.duplicates.enabled;
  }

  /** Reads everything; errors become an `error` (user-facing) or `crash` message. */
  async run(): Promise<void> {
    try {
      for (let i = 0; i < this.init.files.length; i++) {
        this.fileIndex = i;
        await this.readFile(this.init.files[i]);
      }
      if (this.ds === null) this.openWithoutRecord();
      this.flushBatch();
      this.send({ type: "end", rowsRead: this.rowsRead, bytes: this.counters.bytes });
    } catch (err) {
      this.send(this.describe(err));
    }
  }

  onMessage(msg: ToProducer): void {
    if (msg.type === "free") this.freeSlots.push(msg.slot);
    else if (msg.type === "ack") {
      this.inFlight--;
      const w = this.wake;
      this.wake = null;
      w?.();
    }
  }

  // ------------------------------------------------------------ chunk mode

  /**
   * Chunk mode (one of several parse workers): the writer side has read the
   * file and decided the ds; this producer parses the whole-line chunks it is
   * given, with line numbers counted from the chunk's start.
   */
  beginChunks(ds: string, slots: BatchSlot[] = []): void {
    this.slots = slots.map((s) => ({ nums: new Float64Array(s.nums), offsets: new Int32Array(s.offsets), body: Buffer.from(s.body) }));
    this.slots.forEach((_, i) => this.freeSlots.push(i));
    this.ds = ds;
    this.clock = dayClock(ds, this.init.cfg.timezone);
    this.validator = new RowValidator(this.init.cfg, ds);
    this.fast = new FastRowParser(this.init.cfg, ds, new ActionResolver(this.init.cfg.action_types, this.init.cfg.action_aliases));
  }

  /**
   * Parses one chunk (whole lines) and answers with its batches, then
   * `chunkEnd`. The bytes are decoded a piece of about 64 KB at a time, each
   * ending after a newline (never inside a UTF-8 sequence): a 1 MB string
   * would be a large V8 object, mapped and unmapped for every chunk.
   */
  chunk(id: number, bytes: Uint8Array): void {
    try {
      this.fileLine = 0;
      const before = this.rowsRead;
      const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let pos = 0; pos < all.length; ) {
        let end = pos + DECODE_BYTES;
        if (end >= all.length) end = all.length;
        else {
          const nl = all.indexOf(10, end);
          end = nl < 0 ? all.length : nl + 1;
        }
        let text = all.toString("utf8", pos, end);
        if (id === 0 && pos === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        pos = end;
        let start = 0;
        for (;;) {
          start = this.readLines(text, start);
          if (!this.needsFlush()) break;
          this.flushBatch();
        }
        // Only the chunk's last piece can end without a newline.
        if (start < text.length) {
          this.fileLine++;
          this.ndjsonLine(text, start, text.length);
        }
      }
      this.flushBatch();
      this.send({ type: "chunkEnd", chunk: id, lines: this.fileLine, rowsRead: this.rowsRead - before });
    } catch (err) {
      this.send(this.describe(err));
    }
  }

  private describe(err: unknown): ToWriter {
    if (isUserError(err)) return { type: "error", message: err.message, exitCode: err.exitCode };
    if (err instanceof SourceError) return { type: "error", message: `${this.file}: ${err.message} after line ${this.fileLine}.`, exitCode: 2 };
    if (err instanceof CsvError && err.code === "CSV_MAX_RECORD_SIZE") return { type: "error", message: lineTooLongError(this.file, this.fileLine + 1, this.limits.maxLineBytes).message, exitCode: 2 };
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      return { type: "error", message: `${this.file}:${line ? ` line ${line}:` : ""} not valid CSV (${err.message.replace(/\.$/, "")}).`, exitCode: 2 };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return { type: "crash", message: e.message, stack: e.stack };
  }

  // ------------------------------------------------------------ reading

  private async readFile(file: string): Promise<void> {
    this.file = file;
    this.fileLine = 0;
    const chunks = readText(file, this.counters, undefined, this.limits.maxDecompressedBytes);
    const first = await chunks.next();
    if (first.done) return; // empty file: contributes no rows
    const f = this.init.format;
    const format: Format = f && f !== "auto" ? f : detectFormat(first.value);
    if (format === "ndjson") await this.readNdjson(first.value, chunks);
    else await this.readCsv(first.value, chunks);
    // Rows of one batch come from one file (reject reasons name it). Before any
    // record decided the ds the writer has no batch to file rejects under: they
    // wait for the next file's rows, or for run() to open the partition.
    if (this.ds !== null) this.flushBatch();
  }

  private async readNdjson(first: string, rest: AsyncGenerator<string>): Promise<void> {
    let carry = "";
    const consume = async (chunk: string, final: boolean) => {
      const text = carry ? carry + chunk : chunk;
      let start = 0;
      for (;;) {
        start = this.readLines(text, start);
        if (!this.needsFlush()) break;
        await this.flushAndWait();
      }
      carry = text.slice(start);
      // A line with no end in sight (a gzip bomb of zeros is one): stop before it fills memory.
      if (carry.length > this.limits.maxLineBytes) throw lineTooLongError(this.file, this.fileLine + 1, this.limits.maxLineBytes);
      if (final && carry) {
        this.fileLine++;
        this.ndjsonLine(carry, 0, carry.length);
        carry = "";
      }
    };
    await consume(first, false);
    for await (const chunk of rest) await consume(chunk, false);
    await consume("", true);
  }

  /** Reads the complete lines of `text` from `start` until a batch is full or none is left; where it stopped. */
  private readLines(text: string, start: number): number {
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) return start;
      this.fileLine++;
      this.ndjsonLine(text, start, nl);
      start = nl + 1;
      if (this.needsFlush()) return start;
    }
  }

  private ndjsonLine(text: string, start: number, end: number): void {
    if (end - start > this.limits.maxLineBytes) throw lineTooLongError(this.file, this.fileLine, this.limits.maxLineBytes);
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (end === start) return;
    const line = text.slice(start, end);
    if (line.charCodeAt(0) !== 123 /* { */ && line.trim() === "") return;
    this.rowsRead++;
    if (this.fast) {
      const e = this.fast.parse(line, this.fileLine);
      if (e) return this.accept(e, this.fast.propsText);
    }
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
    let header: string[] | null = null;
    for await (const { record, info } of csvRecords(first, rest, { skipEmptyRecords: true, maxRecordBytes: this.limits.maxLineBytes })) {
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
      if (this.needsFlush()) await this.flushAndWait();
    }
  }

  // ------------------------------------------------------------ rows

  /** The general path: a parsed record judged by RowValidator. */
  private record(rec: Record<string, unknown>, line: number, rawLine: string | null): void {
    if (this.ds === null) this.open(rec, line);
    const r = this.validator!.validate(rec, line, rawLine);
    if ("check" in r) return this.reject(r.check, line, r.reason);
    this.accept(r, JSON.stringify(r.other_properties));
  }

  private accept(e: EventRow, propsText: string): void {
    if (this.rows === 0) this.beginBatch();
    const seq = this.seq++;
    const sourced = this.channel(e);
    const props = e.other_properties;
    const o = this.rows * NUMS;
    const nums = this.nums;
    nums[o] = seq;
    nums[o + 1] = e.line;
    nums[o + 2] = e.event_ms;
    nums[o + 3] = this.code(e.action_type);
    nums[o + 4] = this.code(e.dim_hostname);
    nums[o + 5] = this.code(e.dim_country);
    nums[o + 6] = e.dim_device_brand === null ? -1 : this.code(e.dim_device_brand);
    // The aggregator wants the raw source key (the visit decides the channel); the block keeps the event's own channel.
    nums[o + 7] = sourced.key ? this.code(sourced.key) : -1;
    const channelCode = this.code(sourced.channel);
    const product = props.product_type;
    const version = props.app_version;
    nums[o + 8] = product == null ? -1 : this.code(product);
    nums[o + 9] = version == null ? -1 : this.code(version);
    nums[o + 10] = this.dupOn ? this.keyHash(e) : 0;
    nums[o + 11] = localHour(this.clock!, e.event_ms);
    const louForm = this.splitOrString(e.logged_out_user_id, nums, o + IDS_AT);
    const userForm = e.user_id === null ? ID_INT64 : this.splitOrString(e.user_id, nums, o + IDS_AT + 3);
    nums[o + HAS_USER] = e.user_id === null ? 0 : 1;
    const device = nums[o + 6];
    this.block.row(
      e.line,
      e.user_id,
      userForm !== ID_INT64,
      e.logged_out_user_id,
      louForm !== ID_INT64,
      this.local(nums[o + 3]),
      this.local(nums[o + 4]),
      this.local(nums[o + 5]),
      device < 0 ? -1 : this.local(device),
      this.local(channelCode),
      e.event_ms,
      propsText,
    );
    this.rows++;
  }

  /** Splits an integer id into nums[at..at+2], or files an opaque one under the batch's strIds; its form (ID_STRING, ID_INT64, ID_UINT64). */
  private splitOrString(id: string, nums: Float64Array<ArrayBufferLike>, at: number): number {
    const form = splitIntId(id, nums as Float64Array, at);
    if (form === ID_STRING) {
      nums[at] = STRING_ID;
      nums[at + 1] = this.strIds.length;
      nums[at + 2] = 0;
      this.strIds.push(ownCopy(id));
    }
    return form;
  }

  /** The index of a dictionary code in the current block's own dictionary. */
  private local(code: number): number {
    const at = this.blockIndex[code];
    if (at > 0) return at - 1;
    this.blockCodes.push(code);
    this.blockIndex[code] = this.blockCodes.length;
    return this.blockCodes.length - 1;
  }

  private code(v: string): number {
    let c = this.dict.get(v);
    if (c === undefined) {
      c = this.dict.size;
      const copy = ownCopy(v);
      this.dict.set(copy, c);
      this.values.push(copy);
      this.newDict.push(copy);
      if (c >= this.blockIndex.length) {
        const bigger = new Int32Array(this.blockIndex.length * 2);
        bigger.set(this.blockIndex);
        this.blockIndex = bigger;
      }
    }
    return c;
  }

  private channel(e: EventRow): Sourced {
    const p = e.other_properties;
    const byMedium = this.channelCache.get(e.dim_hostname) ?? this.cacheLevel(this.channelCache, e.dim_hostname);
    const medium = p.utm_medium ?? "";
    const bySource = byMedium.get(medium) ?? this.cacheLevel(byMedium, medium);
    const source = p.utm_source ?? "";
    const byReferrer = bySource.get(source) ?? this.cacheLevel(bySource, source);
    const referrer = p.referrer ?? "";
    let c = byReferrer.get(referrer);
    if (c === undefined) {
      c = { channel: deriveChannel(p, e.dim_hostname, this.init.cfg.channels), key: ownCopy(sourceKey(sourceParts(p))) };
      if (++this.channelCacheSize > 50_000) {
        this.channelCache = new Map();
        this.channelCacheSize = 0;
      } else byReferrer.set(ownCopy(referrer), c);
    }
    return c;
  }

  private cacheLevel<T>(parent: Map<string, Map<string, T>>, key: string): Map<string, T> {
    const m = new Map<string, T>();
    parent.set(ownCopy(key), m);
    return m;
  }

  private reject(check: RowCheck, line: number, reason: string): void {
    this.rejects.push({ before: this.rows, check, line, reason, file: this.fileIndex });
  }

  /** A full batch, or many rejects once the writer has a batch to file them under. */
  private needsFlush(): boolean {
    return this.rows >= BATCH_ROWS || (this.rejects.length >= BATCH_ROWS && this.ds !== null);
  }

  // ------------------------------------------------------------ batches

  /** Where the batch's rows go: a free shared slot (chunk mode), else buffers of its own. */
  private beginBatch(): void {
    this.slot = this.freeSlots.pop() ?? -1;
    if (this.slot >= 0) {
      const s = this.slots[this.slot];
      this.nums = s.nums;
      this.block.begin(s.body, s.offsets);
    } else {
      if (this.nums.length === 0 || this.nums.buffer instanceof SharedArrayBuffer) this.nums = new Float64Array(BATCH_ROWS * NUMS);
      this.block.begin();
    }
  }

  private flushBatch(): void {
    if (this.rows === 0 && this.rejects.length === 0) return;
    if (this.rows === 0) this.beginBatch();
    const { body, offsets, inTarget } = this.block.finish();
    const dict = JSON.stringify(this.blockCodes.map((c) => this.values[c]));
    for (const c of this.blockCodes) this.blockIndex[c] = 0;
    const fields = {
      file: this.fileIndex,
      dict: this.newDict,
      lineBase: 0,
      strIds: this.strIds,
      rejects: this.rejects,
      rowsRead: this.rowsRead,
      bytes: this.counters.bytes,
    };
    if (this.slot >= 0 && inTarget) {
      this.send({ type: "slotBatch", ...fields, slot: this.slot, rows: this.rows, bodyBytes: body.length, blockDict: dict });
    } else {
      // Our own buffers (or a block that outgrew its slot): sent, not shared; the slot stays free.
      if (this.slot >= 0) this.freeSlots.push(this.slot);
      const nums = this.nums.slice(0, this.rows * NUMS);
      const unshared = <T extends Int32Array | Buffer>(a: T): T => (a.buffer instanceof SharedArrayBuffer ? (a.slice() as T) : a);
      const block = { body: unshared(body), offsets: unshared(offsets), dict };
      this.send({ type: "batch", ...fields, nums, block }, [
        nums.buffer as ArrayBuffer,
        block.offsets.buffer as ArrayBuffer,
        block.body.buffer as ArrayBuffer,
      ]);
    }
    this.slot = -1;
    this.inFlight++;
    this.newDict = [];
    this.strIds = [];
    this.blockCodes = [];
    this.rows = 0;
    this.rejects = [];
  }

  private async flushAndWait(): Promise<void> {
    this.flushBatch();
    while (this.inFlight >= WINDOW) await new Promise<void>((r) => (this.wake = r));
  }

  /** Decides the partition's ds from the first record (docs/ingest.md) and tells the writer. */
  private open(rec: Record<string, unknown>, line: number): void {
    const { init } = this;
    let ds = init.ds ?? null;
    if (!ds) {
      const rowDs = typeof rec.ds === "string" && isValidDs(rec.ds.trim()) ? rec.ds.trim() : null;
      if (rowDs && init.pathDs && rowDs !== init.pathDs)
        throw new UserError(
          `${this.file}: line ${line}: the rows say ds ${rowDs} but the path says ds=${init.pathDs}; pass --ds to choose the partition.`,
        );
      ds = rowDs ?? init.pathDs;
    }
    // Rows whose ds is not a date do have a ds column: say what is wrong with it rather than "no ds".
    if (!ds && !isNull(rec.ds))
      throw new UserError(
        `${this.file}: line ${line}: ds ${shown(rec.ds)} is not a date YYYY-MM-DD ${DS_BOUNDS}; fix the rows or pass --ds YYYY-MM-DD to choose the partition.`,
      );
    if (!ds)
      throw new UserError(
        `${this.file}: no ds for this partition: pass --ds YYYY-MM-DD, give the rows a ds column, or put the file under a ds=YYYY-MM-DD folder.`,
      );
    this.ds = ds;
    this.clock = dayClock(ds, init.cfg.timezone);
    this.validator = new RowValidator(init.cfg, ds);
    this.fast = new FastRowParser(init.cfg, ds, new ActionResolver(init.cfg.action_types, init.cfg.action_aliases));
    this.send({ type: "open", ds });
  }

  /** No record could be parsed: an empty input is a usage error; unparseable lines still make a (rejected) batch. */
  private openWithoutRecord(): void {
    if (this.rowsRead === 0)
      throw new UserError(`${this.init.files.join(", ")}: contains no events (the file${this.init.files.length > 1 ? "s are" : " is"} empty or only a header).`);
    this.open({}, 0);
  }
}
