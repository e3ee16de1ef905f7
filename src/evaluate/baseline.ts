/**
 * Which past days a metric is judged against (docs/verdicts.md, "Robust
 * baselines"). The candidates are the same weekday of previous weeks, newest
 * first. A day is left out, with the reason recorded, when it
 *
 * - was marked special (the dataset's `calendar:` or `guardrail mark`),
 * - failed this guardrail itself (a past incident is not "normal"),
 * - or is an outlier against the other candidates: more than OUTLIER_Z
 *   noise units from their median, the noise being its own sampling noise
 *   plus the ordinary day-to-day movement.
 *
 * The newest `weeks` days that remain are the baseline. So one holiday or one
 * past outage neither moves the expectation nor widens the band.
 */
import { median } from "simple-statistics";
import { robustSd } from "./spread.js";
import type { Fraction } from "./stats.js";

/** Noise units beyond which a candidate baseline day is an outlier (two-sided). */
export const OUTLIER_Z = 4;

export type ExclusionReason = "marked" | "failed" | "outlier" | "partial";

export interface Exclusion {
  ds: string;
  reason: ExclusionReason;
}

export interface Candidate<V> {
  ds: string;
  value: V;
}

export interface Chosen<V> {
  used: Candidate<V>[];
  excluded: Exclusion[];
}

/** Marked or failed days first (their reason known), then outliers, then the newest `weeks`. */
function choose<V>(
  candidates: Candidate<V>[],
  weeks: number,
  known: Map<string, ExclusionReason>,
  outlier: (kept: Candidate<V>[]) => Set<string>,
): Chosen<V> {
  const excluded: Exclusion[] = [];
  const kept: Candidate<V>[] = [];
  for (const c of candidates) {
    const why = known.get(c.ds);
    if (why) excluded.push({ ds: c.ds, reason: why });
    else kept.push(c);
  }
  const out = outlier(kept);
  const used: Candidate<V>[] = [];
  for (const c of kept) {
    if (out.has(c.ds)) excluded.push({ ds: c.ds, reason: "outlier" });
    else if (used.length < weeks) used.push(c);
  }
  // Only exclusions newer than the oldest day used matter: older ones would not have been used anyway.
  const oldest = used.length ? used[used.length - 1].ds : "";
  return { used, excluded: excluded.filter((e) => e.ds >= oldest).sort((a, b) => (a.ds < b.ds ? 1 : -1)) };
}

/**
 * Ratio candidates: the median rate and, per day, its binomial noise plus the
 * relative day-to-day variance τ² (from the longer window when known, else
 * from the candidates' own log rates, robustly).
 */
export function chooseRatioBaseline(candidates: Candidate<Fraction>[], weeks: number, known: Map<string, ExclusionReason>, tau2: number | null): Chosen<Fraction> {
  return choose(candidates, weeks, known, (kept) => {
    const out = new Set<string>();
    const usable = kept.filter((c) => c.value.den > 0);
    if (usable.length < 3) return out;
    const rates = usable.map((c) => c.value.num / c.value.den);
    const m = median(rates);
    if (m <= 0) return out;
    const t2 = tau2 ?? (usable.every((c) => c.value.num > 0) ? robustSd(rates.map((r) => Math.log(r))) ** 2 : 0);
    for (const c of usable) {
      const r = c.value.num / c.value.den;
      const binomial = (m < 1 ? m * (1 - m) : m) / c.value.den;
      const sd = Math.sqrt(binomial + t2 * m * m);
      if (Math.abs(r - m) > OUTLIER_Z * sd) out.add(c.ds);
    }
    return out;
  });
}

/** Count candidates: the median and, per day, Poisson noise plus the relative day-to-day spread. */
export function chooseCountBaseline(candidates: Candidate<number>[], weeks: number, known: Map<string, ExclusionReason>, relSpread: number | null): Chosen<number> {
  return choose(candidates, weeks, known, (kept) => {
    const out = new Set<string>();
    if (kept.length < 3) return out;
    const values = kept.map((c) => c.value);
    const m = median(values);
    if (m <= 0) return out;
    const rel = relSpread ?? (values.every((v) => v > 0) ? robustSd(values.map((v) => Math.log(v))) : 0);
    const sd = Math.sqrt(m + (rel * m) ** 2);
    for (const c of kept) if (Math.abs(c.value - m) > OUTLIER_Z * sd) out.add(c.ds);
    return out;
  });
}
