/**
 * Builds every aggregation level of agg_website_events (docs/metrics.md) from one
 * pass over the events, with exact distinct counts per slice.
 *
 * How: `add()` only interns each event into compact columns (small ints in
 * 64k-event chunks, ~23 bytes per event). `rows()` then sorts the events by
 * visitor with a counting sort (the visitor ids are dense), so every visitor's
 * events are contiguous; a slice counts a visitor when its "last visitor seen"
 * differs. That makes each level one sequential pass over typed arrays instead
 * of a Set per slice, and distinct counts stay exact (they do not add across
 * slices, so no level is rolled up from another). Users get the same treatment
 * through a second counting sort over the events that carry a user_id.
 */
import type { AggRow, EventRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { ownCopy } from "../shared/strings.js";
import { DEFAULT_LEVELS, GROUP_COLUMNS, emptyAggRow, type GroupColumn, type LevelDef } from "./levels.js";
import { IdTable } from "./id-table.js";
import { countLevel, type LevelCounts, type LevelJob, type SortedEvents } from "./level-count.js";
import type { LevelOffload } from "./level-thread.js";

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Columns 0..6 are interned strings; column 7 is event_hour. Order = GROUP_COLUMNS. */
const HOUR_COL = GROUP_COLUMNS.indexOf("event_hour");
const STRING_COLS = GROUP_COLUMNS.length - 1;

// One element type for every column keeps the hot loops monomorphic.
type Column = Uint16Array;

export class Aggregator {
  private n = 0;
  /** Per string column: value → index; index 0 is NULL. */
  private readonly dicts: Map<string, number>[] = [];
  private readonly values: (string | null)[][] = [];
  private chunks: Column[][] = GROUP_COLUMNS.map(() => []);
  private visitorChunks: Int32Array[] = [];
  private userChunks: Int32Array[] = [];
  private readonly visitors = new IdTable();
  private readonly users = new IdTable();
  private result: Map<string, AggRow[]> | null = null;
  /** addCodedSplit(): the shared dictionary, and per column the local index + 1 of each dictionary code (0 = not seen yet). */
  private dictionary: readonly string[] = [];
  private readonly byCode: Int32Array[] = [];

  constructor(readonly levels: LevelDef[] = DEFAULT_LEVELS) {
    for (let c = 0; c < STRING_COLS; c++) {
      this.dicts.push(new Map());
      this.values.push([null]);
    }
  }

  /** Events added so far. */
  get size(): number {
    return this.n;
  }

  /** Where the next event goes: chunk and offset (fields, not an array: this runs per event). */
  private slotChunk = 0;
  private slotOffset = 0;
  private advance(): void {
    if (this.result) throw new Error("Aggregator.add() after rows(): the aggregate is already built.");
    const idx = this.n++;
    this.slotOffset = idx & CHUNK_MASK;
    if (this.slotOffset === 0) this.newChunk();
    this.slotChunk = idx >>> CHUNK_BITS;
  }

  /** `channel` is the derived dim_channel of the event. */
  add(e: EventRow, channel: string): void {
    this.advance();
    const c = this.slotChunk;
    const o = this.slotOffset;
    const props = e.other_properties;
    const ch = this.chunks;
    ch[0][c][o] = this.intern(0, e.action_type);
    ch[1][c][o] = this.intern(1, e.dim_hostname);
    ch[2][c][o] = this.intern(2, e.dim_country);
    ch[3][c][o] = this.intern(3, e.dim_device_brand);
    ch[4][c][o] = this.intern(4, channel);
    ch[5][c][o] = this.intern(5, props?.product_type ?? null);
    ch[6][c][o] = this.intern(6, props?.app_version ?? null);
    ch[HOUR_COL][c][o] = Math.floor((((e.event_ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    this.visitorChunks[c][o] = this.visitors.intern(e.logged_out_user_id);
    this.userChunks[c][o] = e.user_id == null ? -1 : this.users.intern(e.user_id);
  }

  /** The dictionary that addCodedSplit()'s codes index (it may grow while adding). */
  useDictionary(values: readonly string[]): void {
    this.dictionary = values;
  }

  /**
   * add() for an event whose dimensions are already codes of the shared
   * dictionary (-1 = NULL), in GROUP_COLUMNS order without the hour (a code
   * lookup per column instead of a string hash), and whose visitor (and user)
   * ids are already split by splitId():
   * ids[at..at+2] the visitor, ids[at+3..at+5] the user when `hasUser`.
   */
  addCodedSplit(codes: ArrayLike<number>, offset: number, hour: number, ids: ArrayLike<number>, at: number, hasUser: boolean): void {
    this.advance();
    const c = this.slotChunk;
    const o = this.slotOffset;
    const ch = this.chunks;
    for (let col = 0; col < STRING_COLS; col++) ch[col][c][o] = this.local(col, codes[offset + col]);
    ch[HOUR_COL][c][o] = hour;
    this.visitorChunks[c][o] = this.visitors.internSplit(ids[at], ids[at + 1], ids[at + 2]);
    this.userChunks[c][o] = hasUser ? this.users.internSplit(ids[at + 3], ids[at + 4], ids[at + 5]) : -1;
  }

  private local(col: number, code: number): number {
    if (code < 0) return 0;
    let m = this.byCode[col];
    if (m === undefined || code >= m.length) {
      const bigger = new Int32Array(Math.max(64, (code + 1) * 2));
      if (m) bigger.set(m);
      this.byCode[col] = m = bigger;
    }
    let i = m[code];
    if (i === 0) m[code] = i = this.intern(col, this.dictionary[code]) + 1;
    return i - 1;
  }

  /** Every level's rows for `ds`. Builds once; later calls return the same rows. */
  rows(ds: string): AggRow[] {
    if (!this.result) {
      const data = this.sortByVisitor(false);
      const jobs = this.levels.map((level) => this.job(level));
      const slotOf = new Int32Array(this.n);
      this.result = this.assemble(jobs.map((job) => countLevel(job, data, slotOf)), jobs);
    }
    return this.withDs(ds);
  }

  /**
   * rows(), with every other level counted by `offload` (another thread)
   * meanwhile: the same rows, in about half the time on two cores.
   */
  async rowsWith(ds: string, offload: LevelOffload): Promise<AggRow[]> {
    if (!this.result) {
      const data = this.sortByVisitor(true);
      const jobs = this.levels.map((level) => this.job(level));
      const mine = jobs.filter((_, i) => i % 2 === 0);
      const theirs = jobs.filter((_, i) => i % 2 === 1);
      const away = offload(theirs, data);
      const slotOf = new Int32Array(this.n);
      const here = mine.map((job) => countLevel(job, data, slotOf));
      // The other thread is only a speed-up: if it fails, count its levels here.
      const there = await away.catch(() => theirs.map((job) => countLevel(job, data, slotOf)));
      this.result = this.assemble(
        jobs.map((_, i) => (i % 2 === 0 ? here[i / 2] : there[(i - 1) / 2])),
        jobs,
      );
    }
    return this.withDs(ds);
  }

  private withDs(ds: string): AggRow[] {
    const out: AggRow[] = [];
    for (const level of this.levels) for (const r of this.result!.get(level.name) ?? []) out.push({ ...r, ds });
    return out;
  }

  private newChunk(): void {
    for (let col = 0; col < GROUP_COLUMNS.length; col++)
      this.chunks[col].push(new Uint16Array(CHUNK));
    this.visitorChunks.push(new Int32Array(CHUNK));
    this.userChunks.push(new Int32Array(CHUNK));
  }

  private intern(col: number, v: string | null | undefined): number {
    if (v == null) return 0;
    const dict = this.dicts[col];
    let i = dict.get(v);
    if (i === undefined) {
      i = this.values[col].length;
      if (i > 0xffff)
        throw new UserError(
          `${GROUP_COLUMNS[col]} has more than 65535 distinct values in one day; aggregate this export in the warehouse (guardrail ingest-agg) instead.`,
        );
      const own = ownCopy(v);
      dict.set(own, i);
      this.values[col].push(own);
    }
    return i;
  }

  /**
   * The events in visitor order (a counting sort: visitor ids are dense), in
   * SharedArrayBuffers when another thread will read them. The chunked
   * columns are freed as they are copied: peak memory is one copy plus one column.
   */
  private sortByVisitor(shared: boolean): SortedEvents {
    const n = this.n;
    const V = this.visitors.size;
    const start = new Int32Array(V + 1);
    this.forEachChunk(this.visitorChunks, (v) => start[v + 1]++);
    for (let v = 0; v < V; v++) start[v + 1] += start[v];
    const u16 = () => new Uint16Array(shared ? new SharedArrayBuffer(2 * n) : new ArrayBuffer(2 * n));
    const i32 = (len: number) => new Int32Array(shared ? new SharedArrayBuffer(4 * len) : new ArrayBuffer(4 * len));

    const columns: Column[] = [];
    for (let col = 0; col < GROUP_COLUMNS.length; col++) {
      columns.push(this.scatter(this.chunks[col], start, u16()));
      this.chunks[col] = [];
    }
    const users = this.scatter(this.userChunks, start, i32(n));
    this.userChunks = [];
    // Visitors last: every scatter reads them to find each event's destination.
    const visitors = this.scatter(this.visitorChunks, start, i32(n));
    this.visitorChunks = [];
    return { columns, visitors, users, userOrder: this.sortByUser(users, i32) };
  }

  private job(level: LevelDef): LevelJob {
    const cols = level.columns.map((c) => {
      const i = GROUP_COLUMNS.indexOf(c);
      if (i < 0) throw new Error(`aggregation level ${level.name}: unknown column ${c}`);
      return i;
    });
    return { cols, radix: cols.map((c) => (c === HOUR_COL ? 24 : this.values[c].length)) };
  }

  /** Each level's counts (in this.levels order) as rows, the keys decoded back to values. */
  private assemble(counts: LevelCounts[], jobs: LevelJob[]): Map<string, AggRow[]> {
    const out = new Map<string, AggRow[]>();
    this.levels.forEach((level, li) => {
      const { cols, radix } = jobs[li];
      const c = counts[li];
      const rows: AggRow[] = [];
      for (let i = 0; i < c.keys.length; i++) {
        const row = emptyAggRow(level.name);
        row.m_total_events = c.events[i];
        row.m_unique_visitors = c.visitors[i];
        row.m_unique_users = c.users[i];
        let key = c.keys[i];
        cols.forEach((col, k) => {
          const idx = key % radix[k];
          key = (key - idx) / radix[k];
          if (col === HOUR_COL) row.event_hour = idx;
          else (row as unknown as Record<string, string | null>)[GROUP_COLUMNS[col] as GroupColumn] = this.values[col][idx];
        });
        rows.push(row);
      }
      out.set(level.name, rows);
    });
    return out;
  }

  /** Calls fn for every stored value of a chunked column, in event order. */
  private forEachChunk(chunks: Int32Array[], fn: (v: number) => void): void {
    for (let c = 0; c < chunks.length; c++) {
      const arr = chunks[c];
      const len = Math.min(CHUNK, this.n - c * CHUNK);
      for (let o = 0; o < len; o++) fn(arr[o]);
    }
  }

  /** Copies a chunked column into `dest` in visitor order (stable). */
  private scatter<T extends Column | Int32Array>(chunks: (Column | Int32Array)[], start: Int32Array, dest: T): T {
    const next = start.slice(0, start.length - 1);
    const vis = this.visitorChunks;
    for (let c = 0; c < chunks.length; c++) {
      const arr = chunks[c];
      const va = vis[c];
      const len = Math.min(CHUNK, this.n - c * CHUNK);
      for (let o = 0; o < len; o++) dest[next[va[o]]++] = arr[o];
    }
    return dest;
  }

  /** Positions (in visitor order) of the events with a user, sorted by user. */
  private sortByUser(users: Int32Array, alloc: (len: number) => Int32Array): Int32Array {
    const U = this.users.size;
    const start = new Int32Array(U + 1);
    let m = 0;
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      if (u >= 0) {
        start[u + 1]++;
        m++;
      }
    }
    for (let u = 0; u < U; u++) start[u + 1] += start[u];
    const order = alloc(m);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      if (u >= 0) order[start[u]++] = j;
    }
    return order;
  }
}
