/**
 * Interns signed 64-bit decimal ids (logged_out_user_id, user_id) to dense
 * ints 0, 1, 2… exactly, without keeping the id strings alive.
 *
 * Why not a Map<string, number>: the parser's id strings are often slices of
 * the whole input line, so interning them would pin every line in memory; a
 * number key cannot hold 64 bits; and Map lookups of fresh strings are about
 * three times slower. Each id is split exactly into its sign and high digits
 * (31 bits) and its low 10 digits (34 bits) and stored inline in an
 * open-addressing table (three int32 per slot, one cache miss per lookup):
 * 12 bytes per slot, at most 0.7 full.
 */
const EMPTY = -1;
const TWO32 = 4294967296;
const MAX_ID = (1 << 29) - 1;

export class IdTable {
  /** Slot i: [hi, low 32 bits of lo, (lo >> 32) << 29 | dense id]; third word -1 when empty. */
  private tab: Int32Array;
  private mask: number;
  private n = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1 << 10;
    while (cap * 0.7 < initialCapacity) cap *= 2;
    this.tab = new Int32Array(cap * 3).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Dense id of `id` (a decimal integer, optional sign), assigning the next one if new. */
  intern(id: string): number {
    splitId(id, SCRATCH, 0);
    return this.internSplit(SCRATCH[0], SCRATCH[1], SCRATCH[2]);
  }

  /** intern() of an id already split by splitId() (e.g. on another thread). */
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

/**
 * Exact split of a decimal id into out[at..at+2] = [hi, lLow, lHigh]:
 * value = ±(hi·10^10 + lo), the sign folded into hi so −x and x differ, and
 * lo (< 2^34) as its low 32 bits (signed) and its high bits.
 */
export function splitId(id: string, out: Float64Array, at: number): void {
  let i = 0;
  let neg = false;
  const c0 = id.charCodeAt(0);
  if (c0 === 45 /* - */) {
    neg = true;
    i = 1;
  } else if (c0 === 43 /* + */) i = 1;
  const lowStart = id.length - 10 > i ? id.length - 10 : i;
  let h = 0;
  for (; i < lowStart; i++) h = h * 10 + (id.charCodeAt(i) - 48);
  let l = 0;
  for (; i < id.length; i++) l = l * 10 + (id.charCodeAt(i) - 48);
  if (neg && (h !== 0 || l !== 0)) h = -(h + 1);
  out[at] = h;
  out[at + 1] = l >>> 0 | 0;
  out[at + 2] = Math.floor(l / TWO32); // 0…3: l < 10^10 < 2^34
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
