/**
 * Interns visitor and user ids (logged_out_user_id, user_id) to dense ints
 * 0, 1, 2… exactly. Integer ids (signed or unsigned 64-bit) take the path
 * below, without keeping the id strings alive; opaque string ids (UUIDs,
 * cookie ids) are kept in a Map of their own, sharing the dense numbering,
 * so no two ids ever collide (docs/ingest.md, "Visitor ids").
 *
 * Why not a Map<string, number>: the parser's id strings are often slices of
 * the whole input line, so interning them would pin every line in memory; a
 * number key cannot hold 64 bits; and Map lookups of fresh strings are about
 * three times slower. Each id is split exactly into its sign and high digits
 * (31 bits: at most 1844674407 for 2^64−1, below −1 for negatives) and its
 * low 10 digits (34 bits) and stored inline in an
 * open-addressing table (three int32 per slot, one cache miss per lookup):
 * 12 bytes per slot, at most 0.7 full.
 */
import { ownCopy } from "../shared/strings.js";

const EMPTY = -1;
const TWO32 = 4294967296;
const MAX_ID = (1 << 29) - 1;

export class IdTable {
  /** Slot i: [hi, low 32 bits of lo, (lo >> 32) << 29 | dense id]; third word -1 when empty. */
  private tab: Int32Array;
  private mask: number;
  private n = 0;
  /** Opaque string ids → dense id. */
  private readonly strings = new Map<string, number>();

  constructor(initialCapacity = 1 << 16) {
    let cap = 1 << 10;
    while (cap * 0.7 < initialCapacity) cap *= 2;
    this.tab = new Int32Array(cap * 3).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Dense id of `id` (an integer id's canonical digits or an opaque string), assigning the next one if new. */
  intern(id: string): number {
    if (splitIntId(id, SCRATCH, 0) === ID_STRING) return this.internString(id);
    return this.internSplit(SCRATCH[0], SCRATCH[1], SCRATCH[2]);
  }

  /** Dense id of an opaque string id (one that splitIntId() refused). */
  internString(id: string): number {
    let dense = this.strings.get(id);
    if (dense === undefined) {
      dense = this.n++;
      if (dense > MAX_ID) throw new Error("IdTable: more than 2^29 distinct ids.");
      this.strings.set(ownCopy(id), dense);
    }
    return dense;
  }

  /** intern() of an integer id already split by splitIntId() (e.g. on another thread). */
  internSplit(h: number, lLow: number, lHigh: number): number {
    const tab = this.tab;
    const mask = this.mask;
    let s = hash(h, lLow, lHigh) & mask;
    for (;;) {
      const w = tab[s * 3 + 2];
      if (w === EMPTY) break;
      if (tab[s * 3] === h && tab[s * 3 + 1] === lLow && w >>> 29 === lHigh) return w & MAX_ID;
      s = (s + 1) & mask;
    }
    const dense = this.n++;
    if (dense > MAX_ID) throw new Error("IdTable: more than 2^29 distinct ids.");
    tab[s * 3] = h;
    tab[s * 3 + 1] = lLow;
    tab[s * 3 + 2] = (lHigh << 29) | dense;
    if (this.n > (mask + 1) * 0.7) this.rehash();
    return dense;
  }

  private rehash(): void {
    const old = this.tab;
    const cap = (this.mask + 1) * 2;
    const tab = new Int32Array(cap * 3).fill(EMPTY);
    const mask = cap - 1;
    for (let o = 0; o < old.length; o += 3) {
      const w = old[o + 2];
      if (w === EMPTY) continue;
      let s = hash(old[o], old[o + 1], w >>> 29) & mask;
      while (tab[s * 3 + 2] !== EMPTY) s = (s + 1) & mask;
      tab[s * 3] = old[o];
      tab[s * 3 + 1] = old[o + 1];
      tab[s * 3 + 2] = w;
    }
    this.tab = tab;
    this.mask = mask;
  }
}

const SCRATCH = new Float64Array(3);

/** What splitIntId() found: an opaque string, a signed 64-bit integer, or an unsigned one beyond 2^63−1. */
export const ID_STRING = 0;
export const ID_INT64 = 1;
export const ID_UINT64 = 2;
/** First number of a split id that is an opaque string (no integer id splits to it): [STRING_ID, its index in a list of strings, 0]. */
export const STRING_ID = -(2 ** 40);

/**
 * Exact split of an integer id (a sign and 1–20 digits within
 * −2^63 … 2^64−1, as the validators write them) into out[at..at+2] =
 * [hi, lLow, lHigh]: value = ±(hi·10^10 + lo), the sign folded into hi so −x
 * and x differ, and lo (< 2^34) as its low 32 bits (signed) and its high
 * bits. Returns its form; ID_STRING, leaving `out` alone, for anything
 * else (an opaque id). Which integer form it was says
 * how it is stored: SQLite keeps signed 64-bit integers, not larger ones.
 */
export function splitIntId(id: string, out: Float64Array, at: number): number {
  const n = id.length;
  const c0 = id.charCodeAt(0);
  const neg = c0 === 45;
  const signed = neg || c0 === 43; /* + */
  const digits = signed ? n - 1 : n;
  if (digits < 1 || digits > 20 || (neg && digits > 19)) return ID_STRING;
  let i = signed ? 1 : 0;
  const lowStart = n - 10 > i ? n - 10 : i;
  let h = 0;
  for (; i < lowStart; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return ID_STRING;
    h = h * 10 + d;
  }
  let l = 0;
  for (; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return ID_STRING;
    l = l * 10 + d;
  }
  let form = ID_INT64;
  if (digits >= 19) {
    // 2^63 = 922337203|6854775808, 2^64 − 1 = 1844674407|3709551615 (high|low ten digits).
    if (neg) {
      if (h > 922337203 || (h === 922337203 && l > 6854775808)) return ID_STRING;
    } else if (h > 922337203 || (h === 922337203 && l > 6854775807)) {
      if (h > 1844674407 || (h === 1844674407 && l > 3709551615)) return ID_STRING;
      form = ID_UINT64;
    }
  }
  if (neg && (h !== 0 || l !== 0)) h = -(h + 1);
  out[at] = h;
  out[at + 1] = l >>> 0 | 0;
  out[at + 2] = Math.floor(l / TWO32);
  return form;
}

function hash(h: number, lLow: number, lHigh: number): number {
  let x = lLow ^ Math.imul(h, 0x85ebca6b) ^ Math.imul(lHigh + 1, 0xc2b2ae35);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
