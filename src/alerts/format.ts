/**
 * Labels shared by issue and chat messages. Every number is formatted by
 * src/present/format.ts (docs/architecture.md#number-style).
 */
import type { Segment, Verdict } from "../shared/types.js";
import { dimensionWord } from "../present/format.js";
import { mdText } from "../present/neutralise.js";

/** "device iPhone" from `dim_device_brand` / `iPhone`. */
export function segmentLabel(s: Segment): string {
  return `${dimensionWord(s.dimension)} ${s.value}`;
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
