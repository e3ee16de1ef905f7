/** The one place numbers and labels are worded for people: CLI, checks, issues, chat, dashboard. */
import { WEEKDAY_NAMES, weekday } from "../shared/dates.js";

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

export function fmtValue(x: number | null, kind: "count" | "ratio"): string {
  if (x === null) return "–";
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

/** Hour of the day as a clock time: 10 → "10:00", 24 → "24:00" (the end of the day). */
export function fmtHour(h: number): string {
  return `${String(h).padStart(2, "0")}:00`;
}
