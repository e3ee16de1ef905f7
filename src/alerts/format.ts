/** Number formatting shared by issue and chat messages. */
import type { Segment, Verdict } from "../shared/types.js";
import { mdText } from "../present/neutralise.js";

const MINUS = "\u2212";

/** Relative change as "−35 %" (typographic minus, a space before %, as people write it). */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "n/a";
  const pct = change * 100;
  const digits = Math.abs(pct) < 10 && Math.round(Math.abs(pct) * 10) % 10 !== 0 ? 1 : 0;
  const text = Math.abs(pct).toFixed(digits);
  if (Number(text) === 0) return "0 %";
  return `${pct < 0 ? MINUS : "+"}${text} %`;
}

/** A ratio is shown as a percentage, a count as a whole number. */
export function formatValue(value: number | null | undefined, ratio: boolean): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  if (ratio) return `${(value * 100).toFixed(2)} %`;
  return Math.round(value).toLocaleString("en-US");
}

export function formatZ(z: number | null | undefined): string {
  if (z === null || z === undefined || !Number.isFinite(z)) return "n/a";
  return (z < 0 ? MINUS : "") + Math.abs(z).toFixed(1);
}

/** Ratio if the config says so; else guess from the verdict (a denominator, or a value between 0 and 1 named *_rate). */
export function isRatio(v: Verdict, ratioMetrics?: Set<string>): boolean {
  if (ratioMetrics) return ratioMetrics.has(v.metric);
  return (v.denominator !== undefined && v.denominator !== null) || /rate|ratio/.test(v.metric);
}

/** "device iPhone" from `dim_device_brand` / `iPhone`. */
export function segmentLabel(s: Segment): string {
  const names: Record<string, string> = {
    dim_country: "country",
    dim_device_brand: "device",
    dim_channel: "channel",
    dim_hostname: "host",
    dim_product_type: "product",
    dim_app_version: "app_version",
  };
  return `${names[s.dimension] ?? s.dimension} ${s.value}`;
}

/** The segment that explains most of the decline, if the evaluation localised it. */
export function topSegment(v: Verdict): Segment | null {
  return v.segments && v.segments.length > 0 ? v.segments[0] : null;
}

/** Text from data in an issue or comment: see src/present/neutralise.ts. */
export const mdCell = mdText;

export function hoursText(h: number | null | undefined): string {
  if (h === null || h === undefined || !Number.isFinite(h)) return "unknown age";
  return `${Math.round(h)} h old`;
}
