/** The one place numbers and labels are worded for people: CLI, checks, issues, chat, dashboard. */
import { WEEKDAY_NAMES, weekday } from "../shared/dates.js";
import type { MetricKind, Verdict } from "../shared/types.js";

const MINUS = "\u2212";

export function fmtSigned(x: number, digits = 1): string {
  const s = Math.abs(x).toFixed(digits);
  return x < 0 && Number(s) !== 0 ? `${MINUS}${s}` : s;
}

/** 0.0241 → "2.41 %" (ratios are fractions). */
export function fmtRate(x: number): string {
  const pct = x * 100;
  return `${pct.toFixed(pct !== 0 && Math.abs(pct) < 0.1 ? 3 : 2)} %`;
}

export function fmtCount(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

/** A metric value as its kind is read: a ratio as a percentage, a count as a whole number; missing → "–". */
export function fmtValue(x: number | null | undefined, kind: MetricKind | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return kind === "ratio" ? fmtRate(x) : fmtCount(x);
}

/** Relative change without sign, rounded: 0.383 → "38 %". */
export function fmtPct(x: number): string {
  const p = Math.abs(x) * 100;
  return `${p < 1 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

/** "4 Tuesdays", "1 Tuesday". */
export function fmtWeekdays(days: string[], ds: string): string {
  const name = WEEKDAY_NAMES[weekday(ds)];
  return `${days.length} ${name}${days.length === 1 ? "" : "s"}`;
}

const DIMENSION_WORDS: Record<string, string> = {
  dim_country: "country",
  dim_device_brand: "device",
  dim_channel: "channel",
  dim_hostname: "hostname",
  dim_product_type: "product type",
  dim_app_version: "version",
};

export function dimensionWord(dimension: string): string {
  return DIMENSION_WORDS[dimension] ?? dimension;
}

/** What a value that does not exist (no data, zero denominator) is shown as, everywhere. */
export const NONE = "–";

/** A verdict's metric kind: from the verdict (evaluate copies the metric definition), else the definitions given. */
export function kindOf(v: Pick<Verdict, "metric" | "kind">, kinds?: Readonly<Record<string, MetricKind>>): MetricKind {
  return v.kind ?? kinds?.[v.metric] ?? "count";
}

/** Relative change, signed, one decimal: −0.383 → "−38.3 %", 0.02 → "+2.0 %"; missing → "–". */
export function fmtChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return NONE;
  const text = (Math.abs(change) * 100).toFixed(1);
  if (Number(text) === 0) return "0.0 %";
  return `${change < 0 ? MINUS : "+"}${text} %`;
}

/** A change in words: "fell 38.3 %", "rose 2.0 %"; "" when there is none. */
export function fmtMoved(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "";
  return `${change < 0 ? "fell" : "rose"} ${(Math.abs(change) * 100).toFixed(1)} %`;
}

/** A z-score, one decimal with a typographic minus: "−7.2"; missing → "–". */
export function fmtZ(z: number | null | undefined): string {
  if (z === null || z === undefined || !Number.isFinite(z)) return NONE;
  return fmtSigned(z, 1);
}

/** A share of a change as a whole percentage: 0.62 → "62 %". */
export function fmtShare(x: number): string {
  return `${Math.round(x * 100)} %`;
}
