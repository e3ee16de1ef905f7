/**
 * The segment rule. A decline confined to one big segment is diluted in the
 * total: −40 % on a device carrying 25 % of the traffic is only −10 % overall,
 * right at the materiality threshold, so the total alone would catch it about
 * half the time. So each BIG segment (≥ `evaluation.segment_min_share` of the baseline
 * denominator) of each breakdown is also judged like a metric of its own, with
 * the same materiality and volume rules and a Bonferroni-corrected
 * sensitivity, so testing a handful of segments does not multiply false
 * alarms. Small segments are never judged alone: too noisy, too many.
 */
import { cumulativeStdNormalProbability, probit } from "simple-statistics";
import { exactRatioZ, judge, ratioEstimate, type Fraction, type RatioEstimate, type Thresholds } from "./stats.js";

export interface SegmentSeries {
  dimension: string;
  value: string;
  today: Fraction;
  /** One fraction per baseline day (0/0 when the segment was absent). */
  base: Fraction[];
}

export interface SegmentFailure {
  dimension: string;
  value: string;
  share: number;
  estimate: RatioEstimate;
  /** The corrected sensitivity it was held to. */
  sensitivity: number;
}

/**
 * The segment against the rest of its dimension on the same day, relative to the same contrast in the baseline:
 * ln(r_seg / r_rest)_today − ln(r_seg / r_rest)_baseline, in units of its Poisson noise (numerators, +½ each).
 */
export function contrastZ(seg: SegmentSeries, rest: SegmentSeries[]): number {
  const sum = (fs: Fraction[]) => fs.reduce((a, f) => ({ num: a.num + f.num, den: a.den + f.den }), { num: 0, den: 0 });
  const tSeg = seg.today;
  const tRest = sum(rest.map((r) => r.today));
  const bSeg = sum(seg.base);
  const bRest = sum(rest.flatMap((r) => r.base));
  if (tSeg.den <= 0 || tRest.den <= 0 || bSeg.den <= 0 || bRest.den <= 0) return 0;
  const lr = (f: Fraction) => Math.log((f.num + 0.5) / f.den);
  const d = lr(tSeg) - lr(tRest) - (lr(bSeg) - lr(bRest));
  const v = 1 / (tSeg.num + 0.5) + 1 / (tRest.num + 0.5) + 1 / (bSeg.num + 0.5) + 1 / (bRest.num + 0.5);
  return d / Math.sqrt(v);
}

/** z a segment must pass when k segments are tested at once (one-sided Bonferroni). */
export function correctedSensitivity(sensitivity: number, k: number): number {
  if (k <= 1) return sensitivity;
  return -probit(cumulativeStdNormalProbability(-sensitivity) / k);
}

/**
 * The worst big segment that fails on its own, or null. `tau2` (the total's relative between-day variance) is a
 * floor under each segment's own: four baseline days of one segment are too few to trust alone. Small segments
 * are judged on exact tails, and one where even a collapse could not be significant is not judged.
 */
export function failingSegment(series: SegmentSeries[], t: Thresholds, minWeeks: number, minShare: number, tau2: number | null = null): SegmentFailure | null {
  const totals = new Map<string, number>();
  for (const s of series) totals.set(s.dimension, (totals.get(s.dimension) ?? 0) + s.base.reduce((a, f) => a + f.den, 0));
  const big = series.filter((s) => {
    const total = totals.get(s.dimension) ?? 0;
    return total > 0 && s.base.reduce((a, f) => a + f.den, 0) / total >= minShare;
  });
  // The family is every segment the rule looked at to find the worst one, small ones included: a bar over only the
  // big ones let an unlucky baseline plus an unlucky day fail a guardrail about once a season per segment.
  const sensitivity = correctedSensitivity(t.sensitivity, series.length);
  let worst: SegmentFailure | null = null;
  for (const s of big) {
    const days = s.base.filter((f) => f.den > 0);
    if (days.length < minWeeks || s.today.den <= 0) continue;
    const estimate = ratioEstimate(s.today, days, { relativeBetweenVariance: tau2 });
    estimate.z = exactRatioZ(s.today.num, s.today, estimate);
    if (t.bad_direction === "decrease" && exactRatioZ(0, s.today, estimate) > -sensitivity) continue;
    if (judge(estimate.z, estimate.change, s.today.den, { ...t, sensitivity }) !== "fail") continue;
    // It must also have fallen against the rest of the same day: what moved the whole day, or a baseline that
    // happened to run high for this segment, is not a decline confined to it.
    const rest = series.filter((o) => o.dimension === s.dimension && o.value !== s.value);
    if (t.bad_direction === "decrease" ? contrastZ(s, rest) > -sensitivity : contrastZ(s, rest) < sensitivity) continue;
    const badness = t.bad_direction === "decrease" ? estimate.z : -estimate.z;
    const worstBadness = worst ? (t.bad_direction === "decrease" ? worst.estimate.z : -worst.estimate.z) : Infinity;
    if (badness < worstBadness) {
      worst = { dimension: s.dimension, value: s.value, share: s.base.reduce((a, f) => a + f.den, 0) / totals.get(s.dimension)!, estimate, sensitivity };
    }
  }
  return worst;
}
