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
 *
 * dim_channel is the visit's (visits.ts): `add()` keeps each event's time
 * and raw source key instead of a channel; once the day's hostnames are all
 * known (the site's own hosts), the visitor sort orders each visitor's events
 * by time and gives every event its visit's channel, and marks where visits
 * start (`m_visits`).
 */
import type { AggRow, EventRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { ownCopy } from "../shared/strings.js";
import { DEFAULT_LEVELS, GROUP_COLUMNS, emptyAggRow, type GroupColumn, type LevelDef } from "./levels.js";
import { IdTable, STRING_ID } from "../events/id-table.js";
import { countLevel, type LevelCounts, type LevelJob, type SortedEvents } from "./level-count.js";
import type { LevelOffload } from "./level-thread.js";
import type { ChannelsConfig } from "../config/schema.js";
import { channelsSchema } from "../config/schema.js";
import { OwnHosts, channelOfParts, partsOfKey, sourceKey, sourceParts } from "../events/channel.js";
import { attributeVisits, byteRanks } from "./visits.js";

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Columns 0..6 are interned strings; column 7 is event_hour. Order = GROUP_COLUMNS. */
const HOUR_COL = GROUP_COLUMNS.indexOf("event_hour");
const STRING_COLS = GROUP_COLUMNS.length - 1;
/** Column 4 (dim_channel) is filled by the visit attribution, not by add(). */
const CHANNEL_COL = GROUP_COLUMNS.indexOf("dim_channel");
const ACTION_COL = GROUP_COLUMNS.indexOf("action_type");
const HOST_COL = GROUP_COLUMNS.indexOf("dim_hostname");
/** Event times are kept as Int32 ms from the first event while they fit (±24 days); wider days switch to Float64. */
const INT32_SPAN = 0x7fffffff;

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
  /** Per event: its raw source key's id (-1: none), and its time. */
  private sourceChunks: Int32Array[] = [];
  private msChunks: (Int32Array | Float64Array)[] = [];
  private msAnchor = NaN;
  private msWide = false;
  /** Raw source keys (see channel.ts sourceKey) → id; per shared dictionary code, its id + 1 (0 = not seen yet). */
  private readonly sourceIds = new Map<string, number>();
  private readonly sourceKeys: string[] = [];
  private sourceByCode = new Int32Array(64);
  private readonly visitors = new IdTable();
  private readonly users = new IdTable();
  private result: Map<string, AggRow[]> | null = null;
  /** addCodedSplit(): the shared dictionary, and per column the local index + 1 of each dictionary code (0 = not seen yet). */
  private dictionary: readonly string[] = [];
  /** addCodedSplit(): the current batch's opaque string ids. */
  private strIds: readonly string[] = [];
  private readonly byCode: Int32Array[] = [];

  constructor(
    readonly levels: LevelDef[] = DEFAULT_LEVELS,
    private readonly channels: ChannelsConfig = channelsSchema.parse({}),
  ) {
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

  /** An event; its channel comes from its visit (the source is read from other_properties). */
  add(e: EventRow): void {
    this.advance();
    const c = this.slotChunk;
    const o = this.slotOffset;
    const props = e.other_properties;
    const ch = this.chunks;
    ch[0][c][o] = this.intern(0, e.action_type);
    ch[1][c][o] = this.intern(1, e.dim_hostname);
    ch[2][c][o] = this.intern(2, e.dim_country);
    ch[3][c][o] = this.intern(3, e.dim_device_brand);
    const key = sourceKey(sourceParts(props ?? {}));
    this.sourceChunks[c][o] = key ? this.sourceId(key) : -1;
    this.setMs(c, o, e.event_ms);
    ch[5][c][o] = this.intern(5, props?.product_type ?? null);
    ch[6][c][o] = this.intern(6, props?.app_version ?? null);
    ch[HOUR_COL][c][o] = Math.floor((((e.event_ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    this.visitorChunks[c][o] = this.visitors.intern(e.logged_out_user_id);
    this.userChunks[c][o] = e.user_id == null ? -1 : this.users.intern(e.user_id);
  }

  /** The opaque string ids that addCodedSplit()'s string ids index (one batch's). */
  useStringIds(ids: readonly string[]): void {
    this.strIds = ids;
  }

  /** The dictionary that addCodedSplit()'s codes index (it may grow while adding). */
  useDictionary(values: readonly string[]): void {
    this.dictionary = values;
  }

  /**
   * add() for an event whose dimensions are already codes of the shared
   * dictionary (-1 = NULL), in GROUP_COLUMNS order without the hour (a code
   * lookup per column instead of a string hash; the dim_channel place holds
   * the code of the event's raw source key, see channel.ts sourceKey, or -1
   * when it names none), at time `ms`, and whose visitor (and user)
   * ids are already split by splitIntId():
   * ids[at..at+2] the visitor, ids[at+3..at+5] the user when `hasUser`
   * (an opaque id is [STRING_ID, index into useStringIds()' ids, 0]).
   */
  addCodedSplit(codes: ArrayLike<number>, offset: number, hour: number, ms: number, ids: ArrayLike<number>, at: number, hasUser: boolean): void {
    this.advance();
    const c = this.slotChunk;
    const o = this.slotOffset;
    const ch = this.chunks;
    for (let col = 0; col < STRING_COLS; col++) if (col !== CHANNEL_COL) ch[col][c][o] = this.local(col, codes[offset + col]);
    const src = codes[offset + CHANNEL_COL];
    this.sourceChunks[c][o] = src < 0 ? -1 : this.sourceOfCode(src);
    this.setMs(c, o, ms);
    ch[HOUR_COL][c][o] = hour;
    const v = ids[at];
    this.visitorChunks[c][o] = v === STRING_ID ? this.visitors.internString(this.strIds[ids[at + 1]]) : this.visitors.internSplit(v, ids[at + 1], ids[at + 2]);
    if (!hasUser) this.userChunks[c][o] = -1;
    else {
      const u = ids[at + 3];
      this.userChunks[c][o] = u === STRING_ID ? this.users.internString(this.strIds[ids[at + 4]]) : this.users.internSplit(u, ids[at + 4], ids[at + 5]);
    }
  }

  private sourceId(key: string): number {
    let id = this.sourceIds.get(key);
    if (id === undefined) {
      id = this.sourceKeys.length;
      const own = ownCopy(key);
      this.sourceIds.set(own, id);
      this.sourceKeys.push(own);
    }
    return id;
  }

  private sourceOfCode(code: number): number {
    let m = this.sourceByCode;
    if (code >= m.length) {
      const bigger = new Int32Array((code + 1) * 2);
      bigger.set(m);
      this.sourceByCode = m = bigger;
    }
    let i = m[code];
    if (i === 0) m[code] = i = this.sourceId(this.dictionary[code]) + 1;
    return i - 1;
  }

  private setMs(c: number, o: number, ms: number): void {
    if (this.n === 1) this.msAnchor = ms;
    if (this.msWide) {
      this.msChunks[c][o] = ms;
      return;
    }
    const rel = ms - this.msAnchor;
    if (rel > -INT32_SPAN && rel < INT32_SPAN) this.msChunks[c][o] = rel;
    else {
      // A day with events weeks apart (only when the timestamp check is off): keep exact times as Float64.
      this.msWide = true;
      this.msChunks = this.msChunks.map((chunk) => Float64Array.from(chunk, (x) => x + this.msAnchor));
      this.msChunks[c][o] = ms;
    }
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

  /**
   * The visit channel of each event, in the order they were added (after
   * rows()): codes into `channelValues`.
   */
  get visitChannels(): { codes: Uint16Array; values: readonly (string | null)[] } {
    if (!this.eventChannels) throw new Error("Aggregator.visitChannels before rows()");
    return { codes: this.eventChannels, values: this.values[CHANNEL_COL] };
  }
  private eventChannels: Uint16Array | null = null;

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
    for (let col = 0; col < GROUP_COLUMNS.length; col++) if (col !== CHANNEL_COL) this.chunks[col].push(new Uint16Array(CHUNK));
    this.sourceChunks.push(new Int32Array(CHUNK));
    this.msChunks.push(this.msWide ? new Float64Array(CHUNK) : new Int32Array(CHUNK));
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
   * dim_channel is then each event's visit channel (attribute()).
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
      if (col === CHANNEL_COL) {
        columns.push(new Uint16Array(0)); // filled below
        continue;
      }
      columns.push(this.scatter(this.chunks[col], start, u16()));
      this.chunks[col] = [];
    }
    const starts = new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
    columns[CHANNEL_COL] = this.attribute(start, columns, u16(), starts);
    const users = this.scatter(this.userChunks, start, i32(n));
    this.userChunks = [];
    // Visitors last: every scatter reads them to find each event's destination.
    const visitors = this.scatter(this.visitorChunks, start, i32(n));
    this.visitorChunks = [];
    return { columns, visitors, users, userOrder: this.sortByUser(users, i32), starts };
  }

  /** Each raw source key judged against the day's own hosts: its outside source id (-1: none), their tie ranks and channel codes. */
  private sources(): { outside: Int32Array; rank: Int32Array; channelOf: Int32Array } {
    const own = new OwnHosts(
      this.values[HOST_COL].filter((h): h is string => h !== null),
      this.channels.own_hosts,
    );
    const ids = new Map<string, number>();
    const keys: string[] = [];
    const outside = new Int32Array(this.sourceKeys.length);
    this.sourceKeys.forEach((raw, i) => {
      const key = own.outsideKey(raw);
      if (!key) return void (outside[i] = -1);
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = keys.push(key) - 1));
      outside[i] = id;
    });
    const channelOf = Int32Array.from(keys, (k) => {
      const p = partsOfKey(k);
      return this.intern(CHANNEL_COL, channelOfParts(p.medium, p.source, p.refHost, this.channels));
    });
    return { outside, rank: byteRanks(keys), channelOf };
  }

  /** Orders each visitor's events by time and gives each its visit's channel (visits.ts); frees the time and source columns. */
  private attribute(start: Int32Array, columns: Column[], channel: Uint16Array, starts: Uint8Array): Uint16Array {
    const n = this.n;
    const { outside, rank, channelOf } = this.sources();
    const direct = this.intern(CHANNEL_COL, this.channels.direct);
    // Times relative to the first event while they fit in Int32 (order and gaps are all that matter).
    const ms = this.msWide ? new Float64Array(n) : new Int32Array(n);
    const source = new Int32Array(n);
    const next = start.slice(0, start.length - 1);
    for (let c = 0; c < this.visitorChunks.length; c++) {
      const va = this.visitorChunks[c];
      const ta = this.msChunks[c];
      const sa = this.sourceChunks[c];
      const len = Math.min(CHUNK, n - c * CHUNK);
      for (let o = 0; o < len; o++) {
        const at = next[va[o]]++;
        ms[at] = ta[o];
        source[at] = sa[o] < 0 ? -1 : outside[sa[o]];
      }
    }
    this.msChunks = [];
    this.sourceChunks = [];
    const hosts = columns[HOST_COL];
    const actions = columns[ACTION_COL];
    const hv = this.values[HOST_COL];
    const av = this.values[ACTION_COL];
    const text = (v: string | null) => v ?? "";
    const tie = (a: number, b: number): number => {
      const h = compareBytes(text(hv[hosts[a]]), text(hv[hosts[b]]));
      return h !== 0 ? h : compareBytes(text(av[actions[a]]), text(av[actions[b]]));
    };
    attributeVisits({ start, ms, source, rank, channelOf, direct, timeoutMs: this.channels.visit_timeout_minutes * 60_000, tie }, { channel, starts });
    // Back in the order events were added, for the raw rows' visit channels.
    const byEvent = new Uint16Array(n);
    next.set(start.subarray(0, start.length - 1));
    let k = 0;
    for (let c = 0; c < this.visitorChunks.length; c++) {
      const va = this.visitorChunks[c];
      const len = Math.min(CHUNK, n - c * CHUNK);
      for (let o = 0; o < len; o++) byEvent[k++] = channel[next[va[o]]++];
    }
    this.eventChannels = byEvent;
    return channel;
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
        row.m_visits = c.visits[i];
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

/** Compares strings by their UTF-8 bytes, the order SQL engines use (code point order). */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
