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

/** 1048576 → "1 MiB", 42949672960 → "40 GiB", 1500 → "1,500 bytes". */
export function fmtBytes(n: number): string {
  const units: [string, number][] = [["TiB", 1024 ** 4], ["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]];
  for (const [unit, size] of units) if (n >= size) return `${Number((n / size).toFixed(n % size === 0 ? 0 : 1))} ${unit}`;
  return `${fmtCount(n)} bytes`;
}
