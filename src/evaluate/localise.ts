/**
 * Where did a decline happen? For each breakdown dimension the day's change is
 * split over its segments with a symmetric shift-share decomposition:
 *
 *   ΔR = Σ w̄ᵢ·Δrᵢ            (rate effect: the rate moved inside segment i)
 *      + Σ Δwᵢ·(r̄ᵢ − R₀)      (mix effect: traffic moved toward or away from i)
 *
 * with w the segment's share of the denominator, r its rate, x̄ the midpoint of
 * baseline and today and R₀ the pooled baseline rate. The two sums add up to
 * the total change exactly. Centering the mix term on R₀ (allowed because the
 * shares' changes sum to 0) makes a segment's mix effect negative only when a
 * weaker-than-average segment gained share, which is what "mix shift" means.
 *
 * Which dimension explains the change? Contributions alone are fragile: when
 * the total change is small, noise in any breakdown gives huge percentages.
 * So each segment also gets a deviation z: how far its value today is from
 * what the total's change predicts for it (its baseline × the total's ratio
 * today/baseline), in units of its own sampling noise. A uniform decline gives
 * small deviations everywhere; a decline confined to iPhone gives iPhone a
 * large negative one. The dimension with the most extreme deviation in the
 * bad direction wins; when the traffic mix explains most of a dimension's
 * change, the size of the share shifts counts instead.
 */
import type { Fraction } from "./stats.js";
import { rateVariance, relativeChange } from "./stats.js";
import type { Segment } from "../shared/types.js";

export interface RatioSegmentInput {
  value: string;
  today: Fraction;
  /** Pooled over the baseline days. */
  base: Fraction;
}

export interface CountSegmentInput {
  value: string;
  today: number;
  /** Mean over the baseline days (means add up across segments; medians do not). */
  base: number;
}

export interface LocalisedSegment extends Segment {
  /** Departure from the total's trend in noise units (negative: worse than the total). */
  deviationZ: number;
  rateEffect: number;
  mixEffect: number;
  baseShare: number | null;
  todayShare: number | null;
}

export interface DimensionLocalisation {
  dimension: string;
  /** Ranked by contribution, biggest first. */
  segments: LocalisedSegment[];
  /** Parts of the total change: rate inside segments vs mix shift (sum = total change). */
  rate: number;
  mix: number;
  /** 0 … 1: how far the contributions are from a uniform decline. */
  concentration: number;
  /** How strongly one segment departs from the total's trend (≥ 0, z units, in the direction of the change). */
  score: number;
}

export function localiseRatio(dimension: string, inputs: RatioSegmentInput[]): DimensionLocalisation | null {
  const baseDen = sum(inputs.map((s) => s.base.den));
  const todayDen = sum(inputs.map((s) => s.today.den));
  const baseNum = sum(inputs.map((s) => s.base.num));
  if (baseDen <= 0 || todayDen <= 0) return null;
  const R0 = baseNum / baseDen;
  const todayNum = sum(inputs.map((s) => s.today.num));
  const trend = R0 > 0 ? todayNum / todayDen / R0 : 1;
  const segments: LocalisedSegment[] = inputs.map((s) => {
    const wb = s.base.den / baseDen;
    const wt = s.today.den / todayDen;
    // A segment absent on one side is taken at the other side's rate (or the overall one): no rate effect can be measured.
    const rb = s.base.den > 0 ? s.base.num / s.base.den : s.today.den > 0 ? s.today.num / s.today.den : R0;
    const rt = s.today.den > 0 ? s.today.num / s.today.den : rb;
    const rateEffect = ((wb + wt) / 2) * (rt - rb);
    const predicted = rb * trend;
    const deviationZ = s.today.den > 0 && s.base.den > 0 ? (rt - predicted) / Math.sqrt(Math.max(rateVariance(predicted, s.today.den), 1e-12)) : 0;
    const mixEffect = (wt - wb) * ((rb + rt) / 2 - R0);
    return {
      dimension,
      value: s.value,
      observed: s.today.den > 0 ? rt : null,
      expected: s.base.den > 0 ? rb : null,
      change: s.today.den > 0 && s.base.den > 0 ? relativeChange(rt, rb) : null,
      contribution: 0,
      deviationZ,
      rateEffect,
      mixEffect,
      baseShare: wb,
      todayShare: wt,
    };
  });
  const uniformShare = (s: RatioSegmentInput) => (baseNum > 0 ? s.base.num / baseNum : s.base.den / baseDen);
  return finish(dimension, segments, inputs.map(uniformShare), todayDen);
}

export function localiseCount(dimension: string, inputs: CountSegmentInput[]): DimensionLocalisation | null {
  const baseTotal = sum(inputs.map((s) => s.base));
  const trend = baseTotal > 0 ? sum(inputs.map((s) => s.today)) / baseTotal : 1;
  const segments: LocalisedSegment[] = inputs.map((s) => ({
    dimension,
    value: s.value,
    observed: s.today,
    expected: s.base,
    change: relativeChange(s.today, s.base),
    contribution: 0,
    deviationZ: (s.today - s.base * trend) / Math.sqrt(Math.max(s.base * trend, 1)),
    // A count has no denominator: every change is "inside the segment".
    rateEffect: s.today - s.base,
    mixEffect: 0,
    baseShare: null,
    todayShare: null,
  }));
  if (baseTotal <= 0) return null;
  return finish(dimension, segments, inputs.map((s) => s.base / baseTotal));
}

function finish(dimension: string, segments: LocalisedSegment[], uniform: number[], todayDen = 0): DimensionLocalisation {
  const rate = sum(segments.map((s) => s.rateEffect));
  const mix = sum(segments.map((s) => s.mixEffect));
  const total = rate + mix;
  let distance = 0;
  segments.forEach((s, i) => {
    s.contribution = total !== 0 ? (s.rateEffect + s.mixEffect) / total : 0;
    distance += Math.abs(s.contribution - uniform[i]);
  });
  segments.sort((a, b) => b.contribution - a.contribution);
  const direction = total < 0 ? -1 : 1;
  let score = Math.max(0, ...segments.map((s) => direction * s.deviationZ));
  if (total !== 0 && Math.abs(mix / total) >= 0.5) score = Math.max(score, mixScore(segments, direction, todayDen));
  return { dimension, segments, rate, mix, concentration: Math.min(1, distance / 2), score };
}

/** The largest share shift (in binomial noise units of the share) that moved the total in its direction. */
function mixScore(segments: LocalisedSegment[], direction: number, n: number): number {
  if (n <= 0) return 0;
  let best = 0;
  for (const s of segments) {
    if (s.baseShare === null || s.todayShare === null || direction * s.mixEffect <= 0) continue;
    const sd = Math.sqrt(Math.max(s.baseShare * (1 - s.baseShare), 1e-12) / n);
    best = Math.max(best, Math.abs(s.todayShare - s.baseShare) / sd);
  }
  return best;
}

/** The dimension in which one segment departs most from the total's trend. */
export function bestDimension(found: DimensionLocalisation[]): DimensionLocalisation | null {
  let best: DimensionLocalisation | null = null;
  for (const d of found) if (!best || d.score > best.score) best = d;
  return best;
}

function sum(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
