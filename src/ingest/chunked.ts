/**
 * Parallel parsing of one large uncompressed NDJSON file. With one parse
 * worker the SQLite writer waited for it almost half of the time, so here
 * two parse workers each read and parse byte ranges of the file (a line
 * belongs to the range its first byte is in) and a third thread computes the
 * checksum, leaving this thread only the writes. Their batches are put back
 * in file order here before the writer sees them, with what only the whole
 * file knows rewritten: line numbers, row sequences and dictionary codes. The
 * writer therefore gets exactly the messages one producer would have sent
 * (the duplicate check runs on the writer, in row order).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { isValidDs } from "../shared/dates.js";
import { isGzipFile, detectFormat } from "../events/source.js";
import { NUMS, type BatchSlot, type ProducerInit, type ToProducer, type ToWriter, type WorkerInit } from "./messages.js";
import { BATCH_ROWS } from "./producer.js";
import type { ProducerHandle } from "./transport.js";

const PARSERS = 2;
/** Chunks handed out but not yet passed on to the writer (bounds memory). */
const AHEAD = 3 * PARSERS;
/**
 * A parse worker keeps little alive (its dictionary, a piece of a chunk):
 * a bounded young generation keeps each one's heap small. Round 3 chose 12 MB
 * (peak RSS 440 MB with V8's default, 376 MB with 12 MB). Once batches moved to
 * shared slots the peak no longer came from here: 32 MB gives the same peak
 * (~325 MB) with fewer scavenges, and 3–5 % less wall time.
 */
const PARSER_YOUNG_MB = 32;
/** Dictionary-code columns of a row in `nums` (action_type … app_version). */
const FIRST_CODE = 3;
const LAST_CODE = 9;

type BatchMsg = Extract<ToWriter, { type: "batch" }>;
type SlotBatchMsg = Extract<ToWriter, { type: "slotBatch" }>;
/** Shared batch slots per parser: a batch is written into one and read from it in place. */
const SLOTS_PER_PARSER = 4;
type ChunkEnd = Extract<ToWriter, { type: "chunkEnd" }>;

function chunkBytes(): number {
  const env = Number(process.env.GUARDRAIL_INGEST_CHUNK_BYTES);
  return Number.isInteger(env) && env >= 8192 ? env : 1 << 20;
}

/**
 * Starts the parallel parse when the input suits it (one plain NDJSON file of
 * at least a few chunks whose first record settles the ds without a
 * conflict), else null: the caller then uses the one-producer path, which
 * also words every error about the ds.
 */
export function startChunked(script: URL, init: ProducerInit, onMessage: (msg: ToWriter) => void): ProducerHandle | null {
  if (init.files.length !== 1 || init.format === "csv") return null;
  const file = init.files[0];
  const size = chunkBytes();
  let fd: number | null = null;
  try {
    if (isGzipFile(file)) return null;
    fd = openSync(file, "r");
    const fileSize = fstatSync(fd).size;
    if (fileSize < 4 * size) return null;
    const head = Buffer.allocUnsafe(size);
    const first = head.subarray(0, readSync(fd, head, 0, size, 0)).toString("utf8");
    if (init.format !== "ndjson" && detectFormat(first) !== "ndjson") return null;
    const ds = decideDs(first, init);
    if (ds === null) return null;
    return new ChunkedRun(script, init, ds, fileSize, size, onMessage).handle();
  } catch {
    return null; // the producer reports a read error in its words
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The partition's ds as the producer would decide it from the first record, or null to leave that to the producer. */
function decideDs(text: string, init: ProducerInit): string | null {
  if (init.ds) return init.ds;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return null; // no record in the first chunk: rare, leave it to the producer
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === "") continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) continue;
    const v = (rec as Record<string, unknown>).ds;
    const rowDs = typeof v === "string" && isValidDs(v.trim()) ? v.trim() : null;
    if (rowDs && init.pathDs && rowDs !== init.pathDs) return null;
    return rowDs ?? init.pathDs;
  }
}

/**
 * The bytes of the lines that START in [start, end) of an open file: a line
 * belongs to the chunk its first byte lies in, so parsers reading adjacent
 * ranges on their own never split or repeat a line. They are read into
 * `into` when it is big enough (a parser reuses one buffer: a fresh 1 MB
 * buffer per chunk cost an mmap, 256 zeroed pages and an munmap each).
 */
export function readRange(fd: number, start: number, end: number, fileSize: number, into?: Buffer): Uint8Array {
  // Where the first line starting at or after `start` begins.
  let from = start;
  if (start > 0) {
    from = scanNewline(fd, start - 1, fileSize);
    if (from >= end) return new Uint8Array(0); // a long line covers the whole range
  }
  const to = end >= fileSize ? fileSize : scanNewline(fd, end - 1, fileSize);
  const buf = into && into.length >= to - from ? into : Buffer.allocUnsafe(Math.max(to - from, 8192));
  let got = 0;
  while (got < to - from) {
    const n = readSync(fd, buf, got, to - from - got, from + got);
    if (n === 0) throw new Error("the file shrank while being read");
    got += n;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, got);
}

/** Offset just after the first newline at or after `pos` (the file size if none). */
const probe = Buffer.allocUnsafe(64 * 1024);
function scanNewline(fd: number, pos: number, fileSize: number): number {
  while (pos < fileSize) {
    const n = readSync(fd, probe, 0, probe.length, pos);
    if (n === 0) break;
    const i = probe.subarray(0, n).indexOf(10);
    if (i >= 0) return pos + i + 1;
    pos += n;
  }
  return fileSize;
}

/** SHA-256 of a file on its own thread (the writer's thread is the busy one). */
function checksumOnWorker(file: string): { sum: Promise<string>; worker: Worker } {
  const code = `const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const h = createHash("sha256");
const fd = fs.openSync(workerData, "r");
const b = Buffer.allocUnsafe(1 << 20);
let n;
while ((n = fs.readSync(fd, b, 0, b.length, null)) > 0) h.update(b.subarray(0, n));
fs.closeSync(fd);
parentPort.postMessage(h.digest("hex"));`;
  const worker = new Worker(code, { eval: true, workerData: file, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  const sum = new Promise<string>((resolve, reject) => {
    worker.once("message", (hex: string) => resolve(hex));
    worker.once("error", reject);
    worker.once("exit", (c) => reject(new Error(`the checksum worker stopped (exit ${c})`)));
  });
  sum.catch(() => undefined); // stopped early (the ingest failed): nobody awaits it
  return { sum, worker };
}

interface Parser {
  worker: Worker;
  /** Worker dictionary code → this ingest's code. */
  codes: number[];
  busy: number;
  slots: { nums: Float64Array; offsets: Int32Array; body: Uint8Array }[];
}

function makeSlot(bodyBytes: number): BatchSlot {
  return {
    nums: new SharedArrayBuffer(BATCH_ROWS * NUMS * 8),
    offsets: new SharedArrayBuffer((BATCH_ROWS + 1) * 4),
    body: new SharedArrayBuffer(bodyBytes),
  };
}

class ChunkedRun {
  private readonly parsers: Parser[] = [];
  /** Per chunk handed out: its batches (each with the slot it occupies, or -1) and its end. */
  private readonly pending = new Map<number, { parser: number; batches: { msg: BatchMsg; slot: number }[]; end: ChunkEnd | null }>();
  private readonly dict = new Map<string, number>();
  private dispatched = 0;
  private emitted = 0;
  private seq = 0;
  private lineOffset = 0;
  private rowsRead = 0;
  private stopped = false;
  private readonly file: string;
  private readonly chunks: number;
  private readonly checksum: { sum: Promise<string>; worker: Worker };
  private ended = false;

  constructor(
    script: URL,
    init: ProducerInit,
    ds: string,
    private readonly fileSize: number,
    private readonly chunkSize: number,
    private readonly onMessage: (msg: ToWriter) => void,
  ) {
    this.file = init.files[0];
    this.chunks = Math.ceil(fileSize / chunkSize);
    this.checksum = checksumOnWorker(this.file);
    for (let i = 0; i < PARSERS; i++) {
      // A block is smaller than the lines it came from; one that is not moves to buffers of its own.
      const slots = Array.from({ length: SLOTS_PER_PARSER }, () => makeSlot(chunkSize + (1 << 16)));
      const data: WorkerInit = { mode: "chunks", init, ds, fileSize, slots };
      const worker = new Worker(script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: PARSER_YOUNG_MB } });
      worker.on("message", (msg: ToWriter) => this.fromParser(i, msg));
      worker.on("error", (err) => this.forward({ type: "crash", message: err.message, stack: err.stack }));
      worker.on("exit", (code) => this.forward({ type: "crash", message: `an ingest parse worker stopped (exit ${code}) before finishing` }));
      const views = slots.map((s) => ({ nums: new Float64Array(s.nums), offsets: new Int32Array(s.offsets), body: new Uint8Array(s.body) }));
      this.parsers.push({ worker, codes: [], busy: 0, slots: views });
    }
    setImmediate(() => {
      this.forward({ type: "open", ds });
      this.dispatch();
    });
  }

  handle(): ProducerHandle {
    return {
      post: (_msg: ToProducer) => undefined, // the writer handles each batch synchronously: nothing to wait for
      stop: () => this.stop(),
      threaded: true,
      checksum: this.checksum.sum,
    };
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.parsers) void p.worker.terminate();
    // After the end the writer still awaits the checksum; before it, nobody will.
    if (!this.ended) void this.checksum.worker.terminate();
  }

  private forward(msg: ToWriter): void {
    if (!this.stopped) this.onMessage(msg);
  }

  private dispatch(): void {
    while (!this.stopped && this.dispatched < this.chunks && this.dispatched - this.emitted < AHEAD) {
      const id = this.dispatched++;
      const i = this.parsers[0].busy <= this.parsers[1].busy ? 0 : 1;
      this.parsers[i].busy++;
      this.pending.set(id, { parser: i, batches: [], end: null });
      const start = id * this.chunkSize;
      const msg: ToProducer = { type: "range", chunk: id, start, end: Math.min(start + this.chunkSize, this.fileSize) };
      this.parsers[i].worker.postMessage(msg);
    }
    if (this.emitted === this.chunks && !this.stopped && !this.ended) {
      this.ended = true;
      this.forward({ type: "end", rowsRead: this.rowsRead, bytes: this.fileSize });
    }
  }

  private fromParser(parser: number, msg: ToWriter): void {
    if (this.stopped) return;
    if (msg.type === "batch") this.pending.get(this.chunkOf(parser))!.batches.push({ msg, slot: -1 });
    else if (msg.type === "slotBatch") this.pending.get(this.chunkOf(parser))!.batches.push({ msg: this.fromSlot(parser, msg), slot: msg.slot });
    else if (msg.type === "chunkEnd") {
      this.pending.get(msg.chunk)!.end = msg;
      this.emitReady();
    } else this.forward(msg);
  }

  /** The chunk a parser is working on: its oldest one without an end. */
  private chunkOf(parser: number): number {
    for (let id = this.emitted; id < this.dispatched; id++) {
      const p = this.pending.get(id)!;
      if (p.parser === parser && p.end === null) return id;
    }
    throw new Error("a parse worker sent a batch for no chunk");
  }

  /** Passes on, in file order, every chunk whose parsing is complete. */
  private emitReady(): void {
    for (;;) {
      const p = this.pending.get(this.emitted);
      if (!p || p.end === null) break;
      this.pending.delete(this.emitted);
      this.parsers[p.parser].busy--;
      for (const { msg, slot } of p.batches) {
        this.renumber(p.parser, msg);
        this.forward(msg);
        if (this.stopped) return;
        // Stored (the writer handles a batch synchronously): the parser may reuse the slot.
        if (slot >= 0) this.parsers[p.parser].worker.postMessage({ type: "free", slot } satisfies ToProducer);
      }
      this.lineOffset += p.end.lines;
      this.rowsRead += p.end.rowsRead;
      this.emitted++;
    }
    this.dispatch();
  }

  /** A batch in a parser's slot, as views over the slot (nothing copied). */
  private fromSlot(parser: number, m: SlotBatchMsg): BatchMsg {
    const s = this.parsers[parser].slots[m.slot];
    const { slot: _slot, rows, bodyBytes, blockDict, type: _type, ...fields } = m;
    return {
      ...fields,
      type: "batch",
      nums: s.nums.subarray(0, rows * NUMS),
      block: { body: s.body.subarray(0, bodyBytes), offsets: s.offsets.subarray(0, rows + 1), dict: blockDict },
    };
  }

  /** Rewrites a parser's batch into whole-file terms: line numbers, row sequences, dictionary codes (the block keeps its own). */
  private renumber(parser: number, b: BatchMsg): void {
    const codes = this.parsers[parser].codes;
    const fresh: string[] = [];
    for (const v of b.dict) {
      let c = this.dict.get(v);
      if (c === undefined) {
        c = this.dict.size;
        this.dict.set(v, c);
        fresh.push(v);
      }
      codes.push(c);
    }
    const { nums } = b;
    const off = this.lineOffset;
    for (let o = 0; o < nums.length; o += NUMS) {
      nums[o] = this.seq++;
      nums[o + 1] += off;
      for (let k = o + FIRST_CODE; k <= o + LAST_CODE; k++) if (nums[k] >= 0) nums[k] = codes[nums[k]];
    }
    for (const r of b.rejects) r.line += off;
    b.lineBase = off;
    b.dict = fresh;
    b.rowsRead = this.rowsRead;
    b.bytes = Math.min(this.emitted * this.chunkSize, this.fileSize);
  }
}
