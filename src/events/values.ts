/**
 * Field-level parsing of the export (docs/ingest.md): exact visitor ids
 * (64-bit integers, signed or unsigned, or opaque strings), the two
 * timestamp forms, action types with aliases, host names.
 * Each parser returns null on bad input; the caller words the rejection.
 */

import { clockLocalToUtc, localToUtcMs, type DayClock } from "../shared/dates.js";

const INT_RE = /^[+-]?\d+$/;
const INT64_MAX = "9223372036854775807";
const INT64_MIN_ABS = "9223372036854775808";

/**
 * Canonical decimal text of a signed 64-bit integer, or null when the text is
 * not an integer or out of range. Kept as text end to end: JS numbers round above 2^53.
 */
export function parseInt64(text: string): string | null {
  if (!INT_RE.test(text)) return null;
  let neg = false;
  let digits = text;
  const c = text.charCodeAt(0);
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    digits = text.slice(1);
  }
  if (digits.length > 1 && digits.charCodeAt(0) === 48) digits = digits.replace(/^0+(?=\d)/, "");
  if (digits.length >= 19) {
    if (digits.length > 19) return null;
    if (digits > (neg ? INT64_MIN_ABS : INT64_MAX)) return null;
  }
  if (digits === "0") return "0";
  return neg ? "-" + digits : digits;
}

const UINT64_MAX = "18446744073709551615";
/** Longest opaque id kept (UUIDs are 36 characters, GA cookie ids about 30). */
export const MAX_ID_LENGTH = 128;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Canonical decimal text of an integer id, signed or unsigned 64-bit
 * (−2^63 … 2^64−1), or null when the text is not such an integer.
 */
export function parseIntId(text: string): string | null {
  const signed = parseInt64(text);
  if (signed !== null) return signed;
  if (!INT_RE.test(text) || text.charCodeAt(0) === 45) return null;
  const digits = text.replace(/^\+?0*(?=\d)/, "");
  if (digits.length > 20 || (digits.length === 20 && digits > UINT64_MAX)) return null;
  return digits;
}

/**
 * A visitor or user id as the export wrote it, trimmed: an integer (signed
 * or unsigned 64-bit, in any spelling) becomes its canonical digits; any
 * other text of 1–128 characters without control characters (a UUID, a
 * cookie id, digits beyond 64 bits) is an opaque id kept exactly. Null when
 * empty, too long or holding control characters.
 */
export function parseId(text: string): string | null {
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_ID_LENGTH) return null;
  return parseIntId(t) ?? (CONTROL.test(t) ? null : t);
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * UTC epoch milliseconds of `2024-05-01T12:00:00Z`, `…+02:00`, or
 * `2024-05-01 12:00:00[.fff]` (no zone: local time of `naiveZone`, read
 * through `clock` when its day holds it); NaN when malformed.
 */
export function parseTimestamp(text: string, naiveZone = "UTC", clock?: DayClock): number {
  const m = TS_RE.exec(text);
  if (!m) return NaN;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const h = +m[4];
  const mi = +m[5];
  const s = m[6] ? +m[6] : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1] || h > 23 || mi > 59 || s > 59) return NaN;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  const frac = m[7] ? +(m[7] + "00").slice(0, 3) : 0;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s, frac);
  const zone = m[8];
  if (!zone) return naiveZone === "UTC" ? ms : clock ? clockLocalToUtc(clock, ms) : localToUtcMs(ms, naiveZone);
  if (zone !== "Z" && zone !== "z" && zone !== "UTC") {
    const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = +digits.slice(0, 2);
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return NaN;
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  return ms;
}

const HOST_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lower-case fully qualified host name such as `www.example.com`. */
export function isWellFormedHost(host: string): boolean {
  return HOST_RE.test(host);
}

/** Maps raw action spellings to canonical ones: trimmed, case-insensitive, aliases applied. Cached: few distinct spellings. */
export class ActionResolver {
  private readonly cache = new Map<string, string>();
  private readonly aliases: Map<string, string>;
  readonly allowed: Set<string>;
  constructor(actionTypes: string[], aliases: Record<string, string>) {
    this.allowed = new Set(actionTypes);
    this.aliases = new Map(Object.entries(aliases).map(([k, v]) => [k.trim().toLowerCase(), v]));
  }
  /** The canonical spelling (which may still be outside the allowed set). */
  canonical(raw: string): string {
    let c = this.cache.get(raw);
    if (c === undefined) {
      const t = raw.trim().toLowerCase();
      c = this.aliases.get(t) ?? t;
      if (this.cache.size < 10_000) this.cache.set(raw, c);
    }
    return c;
  }
}

/** Shortens a bad value for an error sentence. */
export function shown(v: unknown): string {
  let s = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
  if (s.length > 60) s = s.slice(0, 57) + "…";
  return s;
}
