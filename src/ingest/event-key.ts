/**
 * The duplicate check's event key (docs/ingest.md): `logged_out_user_id` alone is
 * not a key for an event table, so the key is a configurable list of columns
 * and `other_properties.<name>` entries. Memory-lean and exact: an
 * open-addressing table keeps a 53-bit hash and the rowid of each first
 * occurrence (12 bytes per slot, ≤ 24 bytes per event); a hash hit is confirmed by re-reading that
 * row and comparing the full key, so a hash collision never rejects a row.
 */
import type { EventRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { KNOWN_COLUMNS } from "../events/validate.js";

export type KeyFn = (e: EventRow) => string;

const SEP = "\u0001";

export function makeKeyFn(fields: string[], source = "event_key"): KeyFn {
  const parts: ((e: EventRow) => string)[] = fields.map((f, i) => {
    if (f.startsWith("other_properties.")) {
      const k = f.slice("other_properties.".length);
      return (e) => e.other_properties[k] ?? "\u0000";
    }
    if (f === "event_timestamp") return (e) => String(e.event_ms);
    if (!KNOWN_COLUMNS.includes(f) || f === "other_properties")
      throw new UserError(`configuration field ${source}[${i}]: "${f}" is not a column (expected one of ${KNOWN_COLUMNS.filter((c) => c !== "other_properties").join(", ")} or other_properties.<name>).`);
    return columnPart(f);
  });
  return (e) => {
    let s = parts[0](e);
    for (let i = 1; i < parts.length; i++) s += SEP + parts[i](e);
    return s;
  };
}

/**
 * A column's part of the key. One function per column, each reading its
 * property directly: a shared `e[f]` saw every column and became a slow
 * generic lookup, a fifth of the parse workers' hashing time.
 */
function columnPart(f: string): (e: EventRow) => string {
  const orNul = (v: string | null) => (v === null ? "\u0000" : v);
  switch (f) {
    case "logged_out_user_id":
      return (e) => e.logged_out_user_id;
    case "user_id":
      return (e) => orNul(e.user_id);
    case "dim_hostname":
      return (e) => e.dim_hostname;
    case "dim_country":
      return (e) => e.dim_country;
    case "dim_device_brand":
      return (e) => orNul(e.dim_device_brand);
    case "action_type":
      return (e) => e.action_type;
    case "ds":
      return (e) => e.ds;
    default:
      return (e) => orNul((e as unknown as Record<string, string | null>)[f] ?? null);
  }
}

/**
 * A 53-bit hash of the key `makeKeyFn(fields)` builds, without building it
 * (no concatenated string to allocate and flatten per row): equal keys hash
 * equally, which is all the duplicate index needs (it confirms every match
 * against the full key). The timestamp is mixed in as a number, not as text.
 */
export function makeKeyHashFn(fields: string[]): (e: EventRow) => number {
  makeKeyFn(fields); // words a bad field
  const parts = fields.map((f) => (f === "event_timestamp" ? null : makeKeyFn([f])));
  const sep = SEP.charCodeAt(0);
  return (e) => {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let p = 0; p < parts.length; p++) {
      if (p > 0) {
        h1 = Math.imul(h1 ^ sep, 2654435761);
        h2 = Math.imul(h2 ^ sep, 1597334677);
      }
      const part = parts[p];
      if (part === null) {
        // Epoch ms (|ms| < 2^53): its low and high 32 bits, each into both lanes.
        const lo = e.event_ms | 0;
        const hi = Math.floor(e.event_ms / 4294967296) | 0;
        h1 = Math.imul(Math.imul(h1 ^ lo, 2654435761) ^ hi, 2654435761);
        h2 = Math.imul(Math.imul(h2 ^ lo, 1597334677) ^ hi, 1597334677);
        continue;
      }
      const str = part(e);
      for (let i = 0; i < str.length; i++) {
        const ch = str.charCodeAt(i);
        h1 = Math.imul(h1 ^ ch, 2654435761);
        h2 = Math.imul(h2 ^ ch, 1597334677);
      }
    }
    return finish53(h1, h2);
  };
}

function finish53(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const h = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return h === 0 ? 1 : h;
}

/** cyrb53: a fast 53-bit string hash (never 0 here, 0 marks an empty slot). */
export function hash53(str: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return finish53(h1, h2);
}

/**
 * hash → rowid of the first event with that key. `find` calls `sameKey(rowid)`
 * for every stored entry whose hash matches, so the caller decides exactly.
 */
export class DuplicateIndex {
  /**
   * Slot i is [low 32 bits of the hash (0 = empty), high 21 bits, id] at
   * 3i..3i+2: 12 bytes a slot, one cache miss per probe. All 53 bits are
   * compared: with only the low 32, a 2M-event day had ~500 chance matches,
   * each confirmed by re-reading a stored block.
   */
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.slots = new Uint32Array(cap * 3);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The rowid of an earlier event with the same key, or 0 when there is none. */
  find(h: number, sameKey: (rowid: number) => boolean): number {
    const t = this.slots;
    const lo = low32(h);
    const hi = high21(h);
    let i = lo & this.mask;
    for (;;) {
      const x = t[3 * i];
      if (x === 0) return 0;
      if (x === lo && t[3 * i + 1] === hi && sameKey(t[3 * i + 2])) return t[3 * i + 2];
      i = (i + 1) & this.mask;
    }
  }

  /** The id stored first under hash `h`, or -1 (the caller confirms the full key); when there is none, adds `rowid` in the same probe. */
  firstOrAdd(h: number, rowid: number): number {
    if ((this.count + 1) * 10 > (this.mask + 1) * 7) this.grow();
    const t = this.slots;
    const lo = low32(h);
    const hi = high21(h);
    let i = lo & this.mask;
    for (;;) {
      const x = t[3 * i];
      if (x === 0) break;
      if (x === lo && t[3 * i + 1] === hi) return t[3 * i + 2];
      i = (i + 1) & this.mask;
    }
    t[3 * i] = lo;
    t[3 * i + 1] = hi;
    t[3 * i + 2] = rowid;
    this.count++;
    return -1;
  }

  /** `rowid` must fit in 32 bits (a sequence within one batch does). */
  add(h: number, rowid: number): void {
    // Linear probing stays short up to ~70 % load.
    if ((this.count + 1) * 10 > (this.mask + 1) * 7) this.grow();
    this.place(low32(h), high21(h), rowid);
    this.count++;
  }

  private place(lo: number, hi: number, rowid: number): void {
    const t = this.slots;
    let i = lo & this.mask;
    while (t[3 * i] !== 0) i = (i + 1) & this.mask;
    t[3 * i] = lo;
    t[3 * i + 1] = hi;
    t[3 * i + 2] = rowid;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = (old.length / 3) * 2 - 1;
    for (let i = 0; i < old.length; i += 3) if (old[i] !== 0) this.place(old[i], old[i + 1], old[i + 2]);
  }
}

/** The low 32 bits of a 53-bit hash, never 0 (0 marks an empty slot). */
function low32(h: number): number {
  return h >>> 0 || 1;
}

/** The high 21 bits of a 53-bit hash. */
function high21(h: number): number {
  return Math.floor(h / 4294967296);
}
