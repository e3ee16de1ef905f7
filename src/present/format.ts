/** The one place numbers and labels are worded for people: CLI, checks, issues, chat, dashboard. */
import { WEEKDAY_NAMES, weekday } from "../shared/dates.js";
import type { MetricKind, Verdict } from "../shared/types.js";

const MINUS = "\u2212";

/** What a value that does not exist (no data, zero denominator) is shown as, everywhere. */
export const NONE = "–";

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

/** A segment in words: `dim_device_brand` / `iPhone` → "device iPhone". */
export function segmentLabel(s: { dimension: string; value: string }): string {
  return `${dimensionWord(s.dimension)} ${s.value}`;
}

/**
 * The verdict column of a text table: a metric that was not judged says so
 * (`not judged: volume`, `no baseline`) instead of PASS or NO_DATA; the JSON
 * carries the same reason as `low_volume` / `no_baseline`.
 */
export function verdictLabel(v: { verdict: string; low_volume?: boolean; no_baseline?: boolean }): string {
  if (v.low_volume) return "not judged: volume";
  if (v.no_baseline) return "no baseline";
  return v.verdict.toUpperCase();
}

/** 1048576 → "1 MiB", 42949672960 → "40 GiB", 1500 → "1,500 bytes". */
export function fmtBytes(n: number): string {
  const units: [string, number][] = [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]];
  for (const [unit, size] of units) if (n >= size) return `${Number((n / size).toFixed(n % size === 0 ? 0 : 1))} ${unit}`;
  return `${fmtCount(n)} bytes`;
}

/** A signed relative change: −0.383 → "−38 %", 0.004 → "+0.4 %"; null → "–". */
export function fmtChange(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const body = fmtPct(x);
  if (body === "0 %") return body;
  return `${x < 0 ? MINUS : "+"}${body}`;
}

/**
 * An axis tick, with just the decimals its step needs: ratio ticks 0.025 apart
 * read "2.5 %", count ticks 2,000 apart read "12,000".
 */
export function fmtTick(x: number, kind: "count" | "ratio", step: number): string {
  const unit = kind === "ratio" ? 100 : 1;
  const s = Math.abs(step * unit);
  const digits = s > 0 && Number.isFinite(s) ? Math.min(6, Math.max(0, -Math.floor(Math.log10(s) + 1e-9))) : 0;
  const v = x * unit;
  const text = Math.abs(v) >= 1000 && digits === 0 ? fmtCount(v) : fmtSigned(v, digits);
  return kind === "ratio" ? `${text} %` : text;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-03-03" → "Mar 3". */
export function fmtShortDate(ds: string): string {
  const [, m, d] = ds.split("-");
  return `${MONTHS[Number(m) - 1] ?? m} ${Number(d)}`;
}

/** 9 → "09:00". */
export function fmtHour(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}

/** Hours [from, to) of a day: {from: 10, to: 16} → "10:00–16:00". */
export function fmtHourRange(from: number, to: number): string {
  return `${fmtHour(from)}–${fmtHour(to)}`;
}

/** [8, 9, 10, 14] → "08:00–11:00, 14:00–15:00" (each range ends where its last hour ends); [] → "none". */
export function fmtHours(hours: number[]): string {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    ranges.push(fmtHourRange(sorted[i], sorted[j] + 1));
    i = j + 1;
  }
  return ranges.join(", ") || "none";
}

/** Local hours named with their time zone: ([10, 11], "Europe/Berlin") → "10:00–12:00 Europe/Berlin" (event_hour is the dataset's wall-clock hour). */
export function fmtHoursIn(hours: number[], timeZone: string): string {
  const text = fmtHours(hours);
  return text === "none" ? text : `${text} ${timeZone}`;
}

/** A DST day's clock change (docs/dashboard.md, "Today by the hour"). */
export interface ClockChange {
  direction: "forward" | "back";
  /** The wall-clock hour skipped (forward) or repeated (back). */
  hour: number;
  /** Real hours in the day: 23 or 25. */
  hours: number;
  timeZone: string;
}

/** "Clocks went forward in Europe/Berlin: 02:00 was skipped (a 23-hour day)." / "… went back …: 02:00 happened twice (a 25-hour day) …" */
export function fmtClockChange(c: ClockChange): string {
  return c.direction === "forward"
    ? `Clocks went forward in ${c.timeZone}: ${fmtHour(c.hour)} was skipped (a ${c.hours}-hour day).`
    : `Clocks went back in ${c.timeZone}: ${fmtHour(c.hour)} happened twice (a ${c.hours}-hour day), so that hour holds two hours of traffic and its normal range is for two hours.`;
}

/** The chart's mark of a clock change: "02:00 skipped" / "02:00 twice". */
export function fmtClockMark(c: ClockChange): string {
  return `${fmtHour(c.hour)} ${c.direction === "forward" ? "skipped" : "twice"}`;
}

/** The evidence behind a rate: 3 purchases of 8 signups → "3 / 8". */
export function fmtSample(numerator: number | null | undefined, denominator: number | null | undefined): string {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return "–";
  return `${fmtCount(numerator)} / ${fmtCount(denominator)}`;
}

/** A z score: −4.23 → "−4.2". */
export function fmtZ(z: number | null | undefined): string {
  return z === null || z === undefined || !Number.isFinite(z) ? "–" : fmtSigned(z, 1);
}

/** The age of the newest data: 26.4 → "26 h old"; unknown → "unknown age". */
export function fmtAge(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || !Number.isFinite(hours)) return "unknown age";
  return `${Math.round(hours)} h old`;
}

/** A proportion of rows or a configured threshold, with at most two decimals: 1/3 → "33.33 %", 0.5 → "50 %", 0.001 → "0.1 %". */
export function fmtFraction(x: number): string {
  return `${+(x * 100).toFixed(2)} %`;
}

/** A quality check's observed value or threshold, as stored (a fraction, a count, a divergence); none → "–". */
export function fmtCheckValue(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === "" ? NONE : String(v);
}

/** A p-value: 0.0123 → "0.012", 3e-7 → "3.0 × 10^-7"; null → "–". */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return NONE;
  if (p < 1e-4) return p.toExponential(1).replace("e-", " × 10^-");
  return p.toPrecision(2);
}

/** A share: 0.4 → "40 %"; a negative one (a segment that moved against the total) with the same minus as every other figure: "−6 %". */
export function fmtShare(x: number): string {
  return `${fmtSigned(x * 100, 0)} %`;
}

/** A verdict's metric kind: from the verdict (evaluate copies the metric definition), else the definitions given. */
export function kindOf(v: Pick<Verdict, "metric" | "kind">, kinds?: Readonly<Record<string, MetricKind>>): MetricKind {
  return v.kind ?? kinds?.[v.metric] ?? "count";
}

/** A change in words: "fell 38 %", "rose 0.4 %"; "" when there is none. */
export function fmtMoved(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "";
  return `${change < 0 ? "fell" : "rose"} ${fmtPct(change)}`;
}
