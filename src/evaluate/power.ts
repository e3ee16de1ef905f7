/**
 * Power, shown (docs/verdicts.md): the smallest relative decline that would
 * fail at today's volume, in one day and sustained over 7 days. Both come
 * from the same tests that judge: the one-day figure is the smallest drop of
 * today's value whose exact z passes the sensitivity (and the material
 * change); the 7-day figure is the smallest drop whose daily z makes the CUSUM
 * reach h within 7 days (z ≤ −(k + h/7)) and whose size passes the
 * accumulation's materiality.
 */
import type { EvaluationConfig } from "../config/schema.js";
import { exactCountZ, exactRatioZ, zBeyondMargin, type Estimate, type Fraction, type RatioEstimate, type Thresholds } from "./stats.js";
import { sustainedZ } from "./sequential.js";

export interface Power {
  one_day: number | null;
  seven_day: number | null;
}

/** Smallest d in [lo, 1] with passes(d), assuming passes is monotone in d; null if not even d = 1 passes. */
function smallest(lo: number, passes: (d: number) => boolean): number | null {
  if (!passes(1)) return null;
  if (passes(lo)) return lo;
  let a = lo;
  let b = 1;
  for (let i = 0; i < 30 && b - a > 1e-4; i++) {
    const mid = (a + b) / 2;
    if (passes(mid)) b = mid;
    else a = mid;
  }
  return b;
}

export function powerOf(kind: "count" | "ratio", est: Estimate, today: Fraction | null, t: Thresholds, ev: EvaluationConfig): Power | null {
  if (est.expected <= 0) return null;
  const sign = t.bad_direction === "decrease" ? -1 : 1;
  // The z today's value would have after a relative move of d in the bad direction.
  const zAt = (d: number): number => {
    const value = est.expected * (1 + sign * d);
    if (kind === "ratio" && today) return exactRatioZ(Math.round(value * today.den), today, est as RatioEstimate);
    return exactCountZ(Math.round(value), est);
  };
  const volumeOk = kind === "ratio" ? (today?.den ?? 0) >= t.min_denominator : est.expected >= t.min_denominator;
  if (!volumeOk) return { one_day: null, seven_day: null };
  // An increase has no ceiling; 10× is as far as the figure is sought.
  const top = (d: number) => (t.bad_direction === "decrease" ? d : d * 10);
  // A one-day fail must be significantly beyond the harmless decline (fail_margin × the material change).
  const margin = ev.fail_margin * t.min_relative_change;
  const oneDay = smallest(t.min_relative_change, (d) => -zBeyondMargin(-sign * zAt(top(d)), -top(d), margin) >= t.sensitivity);
  let sevenDay: number | null = null;
  if (ev.sequential_days >= 7) {
    const zNeeded = sustainedZ({ k: ev.cusum_k, h: ev.cusum_h }, 7);
    sevenDay = smallest(ev.sequential_min_change * t.min_relative_change, (d) => sign * zAt(top(d)) >= zNeeded);
  }
  const scale = (d: number | null) => (d === null ? null : top(d));
  const one = scale(oneDay);
  const seven = scale(sevenDay);
  return { one_day: one, seven_day: seven === null ? one : one === null ? seven : Math.min(one, seven) };
}
