/**
 * Within the day (docs/verdicts.md, "Within the day"): a six-hour checkout
 * outage is −100 % for six hours but only −20 % or so on the day, inside the
 * day-to-day noise of a small shop. So each guardrail's hourly series (the
 * aggregate's `event_hour`) is scanned for a run of consecutive hours whose
 * numerator fell short of what the same hours of the baseline predict.
 *
 * The run is compared with the REST OF THE SAME DAY, not with the baseline
 * level: whatever moved the whole day (weather, a holiday, the day-to-day
 * noise the daily verdict already judges) cancels. Given the day's numerator
 * X, the run's share of it is Binomial(X, π), with π the run's share of the
 * expected numerator (its hours' denominators × the baseline's hourly rates,
 * or the baseline's hourly counts). Its exact lower tail is compared with the
 * sensitivity's tail probability divided by the number of runs scanned
 * (Bonferroni over every run of 1 … 23 hours), and the run must also be a
 * material drop (`hourly_min_drop`).
 */
import type { HourlyRun } from "../shared/types.js";
import { cumulativeStdNormalProbability } from "simple-statistics";
import { binomialCdf, zOfLowerTail } from "./tails.js";

export const HOURS = 24;
/** Runs of 1 … 23 consecutive hours inside one day. */
export const RUNS_SCANNED = (HOURS * (HOURS + 1)) / 2 - 1;

export interface HourlyDay {
  /** Numerator (ratio) or the count, per hour; for a baseline count, NaN where the hour did not exist that day (DST). */
  num: number[];
  /** Denominator per hour; null for a count. */
  den: number[] | null;
}

export type { HourlyRun };

/** Expected numerator per hour today, from the baseline's same hours. */
function expectedByHour(today: HourlyDay, base: HourlyDay[]): number[] {
  const out = new Array<number>(HOURS).fill(0);
  if (today.den) {
    let sumNum = 0;
    let sumDen = 0;
    for (const b of base) for (let h = 0; h < HOURS; h++) {
      sumNum += b.num[h];
      sumDen += b.den![h];
    }
    if (sumDen <= 0 || sumNum <= 0) return out;
    const pooled = sumNum / sumDen;
    // Each hour's rate, shrunk toward the day's by ten events' worth, so a quiet hour's few events do not decide it.
    const prior = 10 / pooled;
    for (let h = 0; h < HOURS; h++) {
      let n = 0;
      let x = 0;
      for (const b of base) {
        n += b.den![h];
        x += b.num[h];
      }
      out[h] = today.den[h] * ((x + 10) / (n + prior));
    }
    return out;
  }
  for (let h = 0; h < HOURS; h++) {
    // A baseline day that lacked the hour (clocks went forward) says nothing about it, rather than "zero".
    const known = base.map((b) => b.num[h]).filter(Number.isFinite);
    out[h] = known.length ? known.reduce((s, n) => s + n, 0) / known.length : 0;
  }
  return out;
}

/**
 * The most significant run of hours whose numerator fell by at least `minDrop`
 * against the rest of the day, if it passes the corrected sensitivity; else null.
 */
export function scanHours(today: HourlyDay, base: HourlyDay[], sensitivity: number, minDrop: number): HourlyRun | null {
  if (base.length === 0) return null;
  const expected = expectedByHour(today, base);
  const totalExpected = expected.reduce((s, e) => s + e, 0);
  const total = today.num.reduce((s, x) => s + x, 0);
  if (totalExpected <= 0 || total <= 0) return null;
  const threshold = -zOfLowerTail(cumulativeStdNormalProbability(-sensitivity) / RUNS_SCANNED);
  let best: HourlyRun | null = null;
  let bestP = 1;
  for (let from = 0; from < HOURS; from++) {
    let eIn = 0;
    let xIn = 0;
    for (let to = from + 1; to <= HOURS; to++) {
      eIn += expected[to - 1];
      xIn += today.num[to - 1];
      if (to - from === HOURS) continue; // the whole day is the daily verdict's
      const eOut = totalExpected - eIn;
      const xOut = total - xIn;
      if (eIn <= 0 || eOut <= 0 || xOut <= 0) continue;
      const predicted = (xOut / eOut) * eIn;
      const change = xIn / predicted - 1;
      if (change > -minDrop) continue;
      const pi = eIn / totalExpected;
      // Cheap screen before the exact tail: far from significant on the normal curve, far from it exactly.
      const zNormal = (xIn - total * pi) / Math.sqrt(total * pi * (1 - pi));
      if (zNormal > -threshold + 1.5) continue;
      // Compared on the probability itself: z is clamped near ±8, where several runs would tie.
      const p = binomialCdf(xIn, total, pi);
      const z = zOfLowerTail(p);
      if (z > -threshold) continue;
      if (!best || p < bestP) {
        best = { from, to, observed: xIn, expected: predicted, change, z, threshold };
        bestP = p;
      }
    }
  }
  return best;
}
