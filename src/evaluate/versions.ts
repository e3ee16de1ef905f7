/**
 * Version mode (docs/verdicts.md): on one day, each app_version with enough traffic
 * is compared with the rest of that day's traffic, a pooled two-proportion
 * z-test per guardrail ratio. Same day, same seasonality, same mix of
 * calendar effects: a version whose rate is lower than everyone else's is
 * the code, not the calendar.
 */
import type { RatioMetricDef } from "../config/schema.js";
import type { VersionVerdict } from "../shared/types.js";
import type { MetricRow } from "../store/metric-values.js";
import { judge, relativeChange, twoProportionZ, type Thresholds } from "./stats.js";

export const VERSION_DIMENSION = "dim_app_version";
/** Events without an app_version: part of "the rest", never a version of their own. */
const UNKNOWN_KEYS = new Set(["", "(unknown)", "null"]);

export function versionVerdicts(
  metric: RatioMetricDef,
  rows: MetricRow[],
  thresholds: Thresholds,
  minDenominator: number,
): VersionVerdict[] {
  const segments = rows
    .filter((r) => r.metric === metric.name && r.dimension === VERSION_DIMENSION)
    .map((r) => ({ key: r.value_key, num: r.numerator ?? 0, den: r.denominator ?? 0 }));
  // Sorted, so the same day gives the same JSON whatever order the values were stored in.
  const versions = segments.filter((s) => !UNKNOWN_KEYS.has(s.key)).sort((a, b) => a.key.localeCompare(b.key));
  if (versions.length < 2) return [];
  const totalNum = segments.reduce((s, x) => s + x.num, 0);
  const totalDen = segments.reduce((s, x) => s + x.den, 0);
  const out: VersionVerdict[] = [];
  for (const v of versions) {
    const rest = { num: totalNum - v.num, den: totalDen - v.den };
    if (v.den < minDenominator || rest.den < minDenominator || v.den <= 0 || rest.den <= 0) continue;
    const t = twoProportionZ({ num: v.num, den: v.den }, rest);
    const change = relativeChange(t.pa, t.pb);
    // Volume was already checked against version_min_denominator above.
    const j = judge(t.z, change, Infinity, { ...thresholds, min_denominator: 0 });
    out.push({
      version: v.key,
      metric: metric.name,
      observed: t.pa,
      expected: t.pb,
      change,
      z: t.z,
      verdict: j === "low_volume" ? "pass" : j,
      denominator: v.den,
    });
  }
  return out;
}
