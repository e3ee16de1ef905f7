/**
 * How raw rows are stored: in blocks, one SQLite row per few thousand events.
 * One SQLite row per event cost ~1.8 µs of B-tree work per event on the
 * writer's thread, the ingest's bottleneck; a block is one JSON text that a
 * parse worker builds (BlockBuilder), so storing it costs little more than a copy.
 *
 * A row of `raw_blocks`:
 * - `id` = batch id · 2^32 + the sequence of the block's first row, so a
 *   batch is one rowid range and row `seq` is element `seq - first` of its block;
 * - `line_base`, added to each row's line (parse workers count lines from
 *   the start of their byte range);
 * - `dict`, a JSON array of the dimension values the block's rows use;
 * - `body`, a JSON array with one element per row:
 *   `[line, user_id, logged_out_user_id, action, hostname, country, device, channel, event_ms, other_properties]`
 *   where the five dimensions are indexes into `dict` (device `null` when
 *   NULL), the ids are JSON integers when they are signed 64-bit integers
 *   (SQLite reads them back as exact 64-bit integers) and JSON strings
 *   otherwise (unsigned ones beyond 2^63−1, which SQLite would round, and
 *   opaque ids such as UUIDs), and `other_properties` is the JSON object itself. A row dropped
 *   after its block was built (a duplicate) is `null`.
 *
 * The `fct_website_events` view (migrations 007, 010) decodes blocks with
 * json_each; its dim_channel is the visit's, from `raw_visits` (see
 * storeVisitChannels), the channel stored in the block being the event's own.
 */
import type { Statement } from "better-sqlite3";
import type { DB } from "./db.js";

/** Each batch owns the rowid range [id·2^32, (id+1)·2^32) of raw_blocks. */
export const RAW_ROWS_PER_BATCH = 4294967296;

export function rawRowid(batchId: number, seq: number): number {
  return batchId * RAW_ROWS_PER_BATCH + seq;
}

/** Deletes a batch's raw rows; returns the number of blocks. */
export function deleteRawBlocks(db: DB, batchId: number): number {
  db.prepare(`DELETE FROM raw_visits WHERE id >= ? AND id < ?`).run(rawRowid(batchId, 0), rawRowid(batchId + 1, 0));
  return db.prepare(`DELETE FROM raw_blocks WHERE id >= ? AND id < ?`).run(rawRowid(batchId, 0), rawRowid(batchId + 1, 0)).changes;
}

/** Where a staged block's rows are: its first sequence, its row count, and the indexes of its rows dropped as duplicates. */
export interface BlockExtent {
  first: number;
  rows: number;
  dropped: readonly number[];
}

/**
 * Stores the visit channel of every row of a batch's blocks (table
 * raw_visits, migration 010): `channelOf(k)` is the channel of the k-th
 * loaded row of the batch (dropped rows skipped), as an index into `values`.
 */
export function storeVisitChannels(db: DB, batchId: number, blocks: readonly BlockExtent[], values: readonly string[], channelOf: (k: number) => number): void {
  const stmt = db.prepare(`INSERT OR REPLACE INTO raw_visits (id, dict, codes) VALUES (?, ?, ?)`);
  const local = new Int32Array(values.length);
  db.transaction(() => {
    let k = 0;
    for (const b of blocks) {
      const dict: string[] = [];
      local.fill(-1);
      const codes = Buffer.alloc(b.rows * 3, 48); // "000" for a dropped row (the view skips it)
      let d = 0;
      for (let i = 0; i < b.rows; i++) {
        if (d < b.dropped.length && b.dropped[d] === i) {
          d++;
          continue;
        }
        const c = channelOf(k++);
        let at = local[c];
        if (at < 0) at = local[c] = dict.push(values[c]) - 1;
        if (at > 999) throw new Error("more than 999 channels in one raw block");
        codes[i * 3] = 48 + Math.floor(at / 100);
        codes[i * 3 + 1] = 48 + (Math.floor(at / 10) % 10);
        codes[i * 3 + 2] = 48 + (at % 10);
      }
      stmt.run(rawRowid(batchId, b.first), JSON.stringify(dict), codes);
    }
  })();
}

const EMPTY = Buffer.alloc(0);
const NO_OFFSETS = new Int32Array(0);

/**
 * Builds a block body as UTF-8 bytes (a parse worker's job): bytes in an
 * ArrayBuffer are transferred to the writer without a copy and cost the
 * garbage collector nothing, where a string per row cost both.
 */
export class BlockBuilder {
  private buf: Buffer = EMPTY;
  private at = 1;
  private offsets: Int32Array = NO_OFFSETS;
  private count = 0;
  /** Still writing into the buffers begin() was given (they were big enough). */
  private inTarget = false;

  get rows(): number {
    return this.count;
  }

  /**
   * Where the next block goes: the given buffers (a parse worker's shared
   * slot, reused block after block) or, without them, buffers of its own
   * allocated as needed. Either way a block that outgrows them moves to
   * buffers of its own, and finish() says so.
   */
  begin(body?: Buffer, offsets?: Int32Array): void {
    this.buf = body ?? EMPTY;
    this.offsets = offsets ?? NO_OFFSETS;
    this.inTarget = body !== undefined;
    this.at = 1;
    this.count = 0;
  }

  /**
   * Adds a row. `user` and `lou` are canonical decimal integers (the
   * validators make them so), or with `userQuoted` / `louQuoted` any text,
   * written as a JSON string; `props` is a JSON object's text; the
   * dimensions are indexes into the block's dict (`device` -1 for NULL).
   */
  row(
    line: number,
    user: string | null,
    userQuoted: boolean,
    lou: string,
    louQuoted: boolean,
    action: number,
    host: number,
    country: number,
    device: number,
    channel: number,
    eventMs: number,
    props: string,
  ): void {
    this.reserve(props.length * 3 + 128 + (userQuoted ? user!.length * 6 : 0) + (louQuoted ? lou.length * 6 : 0));
    if (this.count + 2 > this.offsets.length) this.growOffsets();
    const b = this.buf;
    if (this.count > 0) b[this.at++] = 44; // ,
    this.offsets[this.count++] = this.at;
    b[this.at++] = 91; // [
    this.int(line);
    b[this.at++] = 44;
    if (user === null) this.ascii("null");
    else if (userQuoted) this.quoted(user);
    else this.ascii(user);
    b[this.at++] = 44;
    if (louQuoted) this.quoted(lou);
    else this.ascii(lou);
    b[this.at++] = 44;
    this.int(action);
    b[this.at++] = 44;
    this.int(host);
    b[this.at++] = 44;
    this.int(country);
    b[this.at++] = 44;
    if (device < 0) this.ascii("null");
    else this.int(device);
    b[this.at++] = 44;
    this.int(channel);
    b[this.at++] = 44;
    this.int(eventMs);
    b[this.at++] = 44;
    this.at += b.write(props, this.at);
    b[this.at++] = 93; // ]
  }

  /** The block so far (then empty again): its body bytes and where each row starts. */
  /**
   * The block so far, then begin() with no buffers: its body bytes, where
   * each row starts, and whether both are still in the buffers begin() was given.
   */
  finish(): { body: Buffer; offsets: Int32Array; inTarget: boolean } {
    this.reserve(1);
    if (this.count + 1 > this.offsets.length) this.growOffsets();
    this.buf[0] = 91;
    this.buf[this.at++] = 93;
    // Row i ends one byte before offsets[i + 1] (a comma, or the closing bracket).
    this.offsets[this.count] = this.at;
    const out = { body: this.buf.subarray(0, this.at), offsets: this.offsets.subarray(0, this.count + 1), inTarget: this.inTarget };
    this.begin();
    return out;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n, 1 << 16));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
    this.inTarget = false;
  }

  private growOffsets(): void {
    const bigger = new Int32Array(Math.max(this.offsets.length * 2, 1024));
    bigger.set(this.offsets);
    this.offsets = bigger;
    this.inTarget = false;
  }

  private ascii(s: string): void {
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Any text as a JSON string (an id that is not a signed 64-bit integer). */
  private quoted(s: string): void {
    this.at += this.buf.write(JSON.stringify(s), this.at);
  }

  /** A whole number (a line, a code, epoch ms) in decimal. */
  private int(n: number): void {
    const b = this.buf;
    if (n < 0) {
      b[this.at++] = 45;
      n = -n;
    }
    let len = 1;
    for (let p = 10; p <= n; p *= 10) len++;
    let i = this.at + len - 1;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      b[i--] = 48 + n - q * 10;
      n = q;
    }
    b[i] = 48 + n;
    this.at += len;
  }
}

/** A stored row read back with its exact id digits (for confirming duplicate keys). */
export interface StoredRow {
  line: number;
  user_id: string | null;
  logged_out_user_id: string;
  action_type: string;
  dim_hostname: string;
  dim_country: string;
  dim_device_brand: string | null;
  dim_channel: string;
  event_ms: number;
  other_properties: string;
}

/**
 * Reads a row BlockBuilder.row() wrote: the nine leading fields are numbers,
 * null, or (the ids) JSON strings, so commas split them outside strings.
 */
export function decodeRow(text: string, dict: readonly string[], lineBase: number): StoredRow | null {
  if (text === "null") return null;
  const f: string[] = [];
  let p = 1;
  for (let k = 0; k < 9; k++) {
    if (text.charCodeAt(p) === 34) {
      let e = p + 1;
      while (text.charCodeAt(e) !== 34) e += text.charCodeAt(e) === 92 ? 2 : 1;
      f.push(JSON.parse(text.slice(p, e + 1)) as string);
      p = e + 2;
      continue;
    }
    const c = text.indexOf(",", p);
    f.push(text.slice(p, c));
    p = c + 1;
  }
  return {
    line: lineBase + Number(f[0]),
    user_id: f[1] === "null" && text.charCodeAt(text.indexOf(",") + 1) !== 34 ? null : f[1],
    logged_out_user_id: f[2],
    action_type: dict[Number(f[3])],
    dim_hostname: dict[Number(f[4])],
    dim_country: dict[Number(f[5])],
    dim_device_brand: f[6] === "null" ? null : dict[Number(f[6])],
    dim_channel: dict[Number(f[7])],
    event_ms: Number(f[8]),
    other_properties: text.slice(p, text.length - 1),
  };
}

/**
 * A block as a parse worker builds it: `offsets[i]` is the byte where row i
 * starts in `body` and `offsets[n]` is `body.length`, so row i is bytes
 * [offsets[i], offsets[i + 1] - 1).
 */
export interface Block {
  body: Uint8Array;
  offsets: Int32Array;
  /** JSON array of the dimension values the rows index. */
  dict: string;
}

function rowOf(block: Pick<Block, "body" | "offsets">, i: number): string {
  const { body, offsets } = block;
  return Buffer.from(body.buffer, body.byteOffset + offsets[i], offsets[i + 1] - 1 - offsets[i]).toString("utf8");
}

/** The body with the rows at `dropped` (ascending indexes) replaced by null, and its offsets. */
function withNulls(block: Pick<Block, "body" | "offsets">, dropped: readonly number[]): { body: Uint8Array; offsets: Int32Array } {
  const { body, offsets } = block;
  const n = offsets.length - 1;
  const parts: Uint8Array[] = [Buffer.from("[")];
  const out = new Int32Array(n + 1);
  let at = 1;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const part = d < dropped.length && dropped[d] === i ? (d++, Buffer.from("null")) : body.subarray(offsets[i], offsets[i + 1] - 1);
    out[i] = at;
    parts.push(part, Buffer.from(i === n - 1 ? "]" : ","));
    at += part.length + 1;
  }
  out[n] = at;
  return { body: Buffer.concat(parts), offsets: out };
}

interface Staged {
  first: number;
  rows: number;
  offsets: Int32Array;
}

/**
 * Writes one batch's blocks and answers "which row has sequence s?" while
 * the batch is being staged: the duplicate check confirms every key-hash
 * match against the stored row. Blocks are located by binary search over
 * the in-memory offsets (4 bytes a row), and the last bodies read are
 * cached, since matches cluster.
 */
export class BlockStager {
  private readonly insert: Statement<unknown[]>;
  private readonly read: Statement<unknown[]>;
  private readonly staged: Staged[] = [];
  /** Every written block, in order (for storeVisitChannels). */
  readonly extents: BlockExtent[] = [];
  private readonly cache = new Map<number, { body: Buffer; dict: string[]; lineBase: number }>();
  private current: (Block & { first: number; lineBase: number; dictValues: string[] | null }) | null = null;

  constructor(
    db: DB,
    private readonly batchId: number,
  ) {
    // The body arrives as UTF-8 bytes; stored as TEXT, since JSON functions read a BLOB as binary JSONB.
    this.insert = db.prepare(`INSERT INTO raw_blocks (id, line_base, dict, body) VALUES (?, ?, ?, CAST(? AS TEXT))`);
    // Read back as bytes: the offsets count bytes.
    this.read = db.prepare(`SELECT line_base, dict, CAST(body AS BLOB) AS body FROM raw_blocks WHERE id = ?`);
  }

  /** Makes a block addressable before it is written (its own rows may repeat each other's keys). */
  open(first: number, lineBase: number, block: Block): void {
    this.current = { ...block, first, lineBase, dictValues: null };
  }

  /** Writes the open block, its rows at `dropped` (ascending indexes) replaced by null. */
  write(dropped: readonly number[]): void {
    const b = this.current!;
    this.current = null;
    const n = b.offsets.length - 1;
    if (n === 0) return;
    const { body, offsets } = dropped.length > 0 ? withNulls(b, dropped) : b;
    this.insert.run(rawRowid(this.batchId, b.first), b.lineBase, b.dict, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    // A copy: the block's buffers may be a parse worker's, reused for its next block.
    this.staged.push({ first: b.first, rows: n, offsets: offsets.slice() });
    this.extents.push({ first: b.first, rows: n, dropped: dropped.slice() });
  }

  /** The staged (or open) row of sequence `seq`, or null when there is none. */
  row(seq: number): StoredRow | null {
    const c = this.current;
    if (c && seq >= c.first && seq < c.first + c.offsets.length - 1) {
      c.dictValues ??= JSON.parse(c.dict) as string[];
      return decodeRow(rowOf(c, seq - c.first), c.dictValues, c.lineBase);
    }
    const s = this.locate(seq);
    if (!s) return null;
    let hit = this.cache.get(s.first);
    if (!hit) {
      const r = this.read.get(rawRowid(this.batchId, s.first)) as { line_base: number; dict: string; body: Buffer };
      hit = { body: r.body, dict: JSON.parse(r.dict) as string[], lineBase: r.line_base };
      if (this.cache.size >= 2) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(s.first, hit);
    }
    return decodeRow(rowOf({ body: hit.body, offsets: s.offsets }, seq - s.first), hit.dict, hit.lineBase);
  }

  private locate(seq: number): Staged | null {
    let lo = 0;
    let hi = this.staged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.staged[mid];
      if (seq < s.first) hi = mid - 1;
      else if (seq >= s.first + s.rows) lo = mid + 1;
      else return s;
    }
    return null;
  }
}

/**
 * Every stored row of a batch, in sequence order, block by block: `onBlock`
 * gets each block's extent (its dropped rows as null) and its rows
 * (null where a duplicate was dropped). Reads one block at a time.
 */
export function forEachRawBlock(db: DB, batchId: number, onBlock: (extent: BlockExtent, rows: (StoredRow | null)[]) => void): number {
  const stmt = db.prepare(`SELECT id, line_base, dict, body FROM raw_blocks WHERE id >= ? AND id < ? ORDER BY id`);
  let blocks = 0;
  for (const r of stmt.iterate(rawRowid(batchId, 0), rawRowid(batchId + 1, 0)) as Iterable<{ id: number; line_base: number; dict: string; body: string }>) {
    const dict = JSON.parse(r.dict) as string[];
    // Each row is decoded from its own text: ids beyond 2^53 must keep their digits.
    const texts = splitTopLevel(r.body);
    const dropped: number[] = [];
    const rows = texts.map((t, i) => {
      const row = decodeRow(t, dict, r.line_base);
      if (row === null) dropped.push(i);
      return row;
    });
    onBlock({ first: r.id - rawRowid(batchId, 0), rows: texts.length, dropped }, rows);
    blocks++;
  }
  return blocks;
}

/** The texts of the elements of a JSON array of arrays/nulls (strings inside may hold brackets). */
function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91) {
      depth++;
      if (depth === 2) start = i;
    } else if (c === 93) {
      if (depth === 2) out.push(body.slice(start, i + 1));
      depth--;
    } else if (depth === 1 && c === 110 && body.startsWith("null", i)) {
      out.push("null");
      i += 3;
    }
  }
  return out;
}
