/**
 * The duplicate check's event key (DESIGN §3): `logged_out_user_id` alone is
 * not a key for an event table, so the key is a configurable list of columns
 * and `other_properties.<name>` entries. Memory-lean and exact: an
 * open-addressing table keeps a 53-bit hash and the rowid of each first
 * occurrence (16 bytes per slot, ≤ 32 bytes per event); a hash hit is confirmed by re-reading that
 * row and comparing the full key, so a hash collision never rejects a row.
 */
import type { EventRow } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { KNOWN_COLUMNS } from "./validate.js";

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
    return (e) => {
      const v = (e as unknown as Record<string, string | null>)[f];
      return v === null ? "\u0000" : v;
    };
  });
  return (e) => {
    let s = parts[0](e);
    for (let i = 1; i < parts.length; i++) s += SEP + parts[i](e);
    return s;
  };
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
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const h = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return h === 0 ? 1 : h;
}

/**
 * hash → rowid of the first event with that key. `find` calls `sameKey(rowid)`
 * for every stored entry whose hash matches, so the caller decides exactly.
 */
export class DuplicateIndex {
  private hashes: Float64Array;
  private ids: Float64Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.hashes = new Float64Array(cap);
    this.ids = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The rowid of an earlier event with the same key, or 0 when there is none. */
  find(h: number, sameKey: (rowid: number) => boolean): number {
    let i = (h >>> 0) & this.mask;
    for (;;) {
      const x = this.hashes[i];
      if (x === 0) return 0;
      if (x === h && sameKey(this.ids[i])) return this.ids[i];
      i = (i + 1) & this.mask;
    }
  }

  /** The id stored first under hash `h`, or -1: the caller confirms the full key. */
  first(h: number): number {
    let i = (h >>> 0) & this.mask;
    for (;;) {
      const x = this.hashes[i];
      if (x === 0) return -1;
      if (x === h) return this.ids[i];
      i = (i + 1) & this.mask;
    }
  }

  add(h: number, rowid: number): void {
    // Linear probing stays short up to ~70 % load; lower would double the memory at 2M events.
    if ((this.count + 1) * 10 > this.hashes.length * 7) this.grow();
    this.place(h, rowid);
    this.count++;
  }

  private place(h: number, rowid: number): void {
    let i = (h >>> 0) & this.mask;
    while (this.hashes[i] !== 0) i = (i + 1) & this.mask;
    this.hashes[i] = h;
    this.ids[i] = rowid;
  }

  private grow(): void {
    const oldH = this.hashes;
    const oldI = this.ids;
    this.hashes = new Float64Array(oldH.length * 2);
    this.ids = new Float64Array(oldH.length * 2);
    this.mask = this.hashes.length - 1;
    for (let i = 0; i < oldH.length; i++) if (oldH[i] !== 0) this.place(oldH[i], oldI[i]);
  }
}
