/**
 * The canary judge (docs/canary.md), pure: a build's traffic on one day
 * against the rest of the same hours, for every enforced guardrail ratio.
 * Returns codes and numbers; src/present/canary.ts words them.
 *
 * Per guardrail:
 * - the exact one-sided test of evaluate/exact.ts (Fisher for proportions,
 *   conditional binomial for rates above 1), its p-value shown on the z
 *   scale, and the day verdicts' rule (evaluate/stats.ts `judge`): a fail is
 *   significant (z ≤ −sensitivity) and material (change ≤ −min_relative_change);
 * - otherwise "no decline" only when the build had enough traffic for the
 *   smallest decline that matters (min_relative_change) to be significant at
 *   this volume; else "low traffic", with how much more it needs.
 */
import type { CountMetricDef, MetricDef, RatioMetricDef } from "../config/schema.js";
import { judge, rateVariance, relativeChange, type Fraction, type Thresholds } from "../evaluate/stats.js";
import { exactTwoSample, zOfLowerTail } from "../evaluate/exact.js";
import type { VersionHourRow } from "../store/canary.js";

/** Where a (version, hour) slice belongs: the PR's build, the rest of the traffic, or neither (unclear which build served it). */
export type Side = "canary" | "rest" | "excluded";

export type CanaryMetricVerdict = "fail" | "warn" | "no_decline" | "low_traffic" | "not_judged";
export type CanaryStatus = CanaryMetricVerdict;

/** Why a guardrail was not judged on a canary. */
export type NotJudgedReason =
  /** A count guardrail depends on the build's share of traffic, not on the code. */
  | "count_metric"
  /** Distinct counts do not add across hours. */
  | "distinct_measure"
  /** The build served all the traffic of its hours: nothing to compare with. */
  | "no_rest";

export interface CanaryMetricResult {
  metric: string;
  bad_direction: "decrease" | "increase";
  verdict: CanaryMetricVerdict;
  reason: NotJudgedReason | null;
  canary: Fraction;
  rest: Fraction;
  /** The build's rate and the rest's, null when undefined (zero denominator). */
  observed: number | null;
  expected: number | null;
  change: number | null;
  /** The exact test's one-sided p-value on the z scale (negative: the build is lower). */
  z: number | null;
  /** The exact one-sided p-value in the bad direction. */
  p: number | null;
  method: "fisher" | "poisson" | null;
  /** The smallest decline that matters (the metric's min_relative_change). */
  min_relative_change: number;
  sensitivity: number;
  /** The build's denominator at which that decline would be significant, at its share of the traffic of its hours; null when the rest's rate is 0. */
  needed_denominator: number | null;
  /** How much more denominator (e.g. page visits) the build needs; 0 when it has enough. */
  more_denominator: number | null;
  /** The count metric the denominator counts (e.g. website_hits). */
  denominator_metric: string;
}

export interface CanaryInput {
  rows: VersionHourRow[];
  /** Which side each slice is on. */
  sideOf(row: VersionHourRow): Side;
  metrics: MetricDef[];
  thresholdsOf(m: MetricDef): Thresholds;
}

export interface CanaryOutcome {
  status: CanaryStatus;
  /** Hours in which the build served traffic: the hours compared. */
  hours: number[];
  canary_events: number;
  /** Events of the rest of the traffic in those hours. */
  rest_events: number;
  /** All events of the day (both sides, every hour, excluded slices too). */
  day_events: number;
  metrics: CanaryMetricResult[];
}

function isEnforced(m: MetricDef): boolean {
  return m.guardrail && m.enforce !== false;
}

function actionsOf(m: CountMetricDef): Set<string> | null {
  return m.actions === "all" ? null : new Set(m.actions);
}

/** Events per side in the compared hours, by action. */
interface Sides {
  canary: Map<string, number>;
  rest: Map<string, number>;
}

function sumActions(by: Map<string, number>, actions: Set<string> | null): number {
  let s = 0;
  for (const [a, n] of by) if (!actions || actions.has(a)) s += n;
  return s;
}

/**
 * The traffic the build needs for a decline of `delta` from the rest's rate
 * `p` to reach z = sensitivity (normal approximation), if it keeps its share
 * `f` of the traffic of its hours (the rest grows with it, and its noise
 * counts too): 1/n + 1/N_rest = 1/(n·(1 − f)) ≤ (p·δ/s)² / var(p), so
 * n = var(p) / ((p·δ/s)² · (1 − f)). Null when the rest's rate is 0.
 */
export function neededDenominator(p: number, share: number, delta: number, sensitivity: number): number | null {
  if (!(p > 0) || delta <= 0 || share >= 1) return null;
  const v = rateVariance(p, 1);
  const n = v / ((p * delta / sensitivity) ** 2 * (1 - Math.max(0, share)));
  // The tolerance keeps float noise (21,600.000000001) from adding one.
  return Math.ceil(n - 1e-6);
}

/** A guardrail the canary cannot judge, and why. */
function notJudged(m: MetricDef, t: Thresholds, reason: NotJudgedReason, canary: Fraction = { num: 0, den: 0 }, rest: Fraction = { num: 0, den: 0 }): CanaryMetricResult {
  return {
    metric: m.name,
    bad_direction: t.bad_direction,
    verdict: "not_judged",
    reason,
    canary,
    rest,
    observed: canary.den > 0 ? canary.num / canary.den : null,
    expected: rest.den > 0 ? rest.num / rest.den : null,
    change: null,
    z: null,
    p: null,
    method: null,
    min_relative_change: t.min_relative_change,
    sensitivity: t.sensitivity,
    needed_denominator: null,
    more_denominator: null,
    denominator_metric: m.kind === "ratio" ? m.denominator : "",
  };
}

function judgeRatio(m: RatioMetricDef, counts: Map<string, CountMetricDef>, sides: Sides, t: Thresholds): CanaryMetricResult {
  const num = counts.get(m.numerator);
  const den = counts.get(m.denominator);
  const base = {
    metric: m.name,
    bad_direction: t.bad_direction,
    min_relative_change: t.min_relative_change,
    sensitivity: t.sensitivity,
    denominator_metric: m.denominator,
  };
  if (!num || !den || num.measure !== "events" || den.measure !== "events") return notJudged(m, t, "distinct_measure");
  const canary = { num: sumActions(sides.canary, actionsOf(num)), den: sumActions(sides.canary, actionsOf(den)) };
  const rest = { num: sumActions(sides.rest, actionsOf(num)), den: sumActions(sides.rest, actionsOf(den)) };
  if (rest.den <= 0) return notJudged(m, t, "no_rest", canary, rest);
  const expected = rest.num / rest.den;
  const needed = neededDenominator(expected, canary.den / (canary.den + rest.den), t.min_relative_change, t.sensitivity);
  const more = needed === null ? null : Math.max(0, needed - canary.den);
  if (canary.den <= 0) {
    return { ...base, verdict: "low_traffic", reason: null, canary, rest, observed: null, expected, change: null, z: null, p: null, method: null, needed_denominator: needed, more_denominator: more };
  }
  const observed = canary.num / canary.den;
  const change = relativeChange(observed, expected);
  const test = exactTwoSample(canary, rest);
  // z on the scale of the lower tail: negative when the build is lower, whichever direction hurts.
  const z = t.bad_direction === "decrease" ? zOfLowerTail(test.pLower) : -zOfLowerTail(test.pUpper);
  const p = t.bad_direction === "decrease" ? test.pLower : test.pUpper;
  const j = judge(z, change, Infinity, { ...t, min_denominator: 0 });
  const verdict: CanaryMetricVerdict = j === "fail" || j === "warn" ? j : more === null || more > 0 ? "low_traffic" : "no_decline";
  return { ...base, verdict, reason: null, canary, rest, observed, expected, change, z, p, method: test.method, needed_denominator: needed, more_denominator: more };
}

const ORDER: CanaryStatus[] = ["fail", "warn", "low_traffic", "no_decline", "not_judged"];

/** The worst verdict among the judged guardrails; not_judged only when none was judged. */
export function canaryStatus(metrics: CanaryMetricResult[]): CanaryStatus {
  let best = ORDER.length - 1;
  for (const m of metrics) best = Math.min(best, ORDER.indexOf(m.verdict));
  return ORDER[best];
}

/** Judges the build's slices against the rest of the same hours. */
export function judgeCanary(input: CanaryInput): CanaryOutcome {
  const hours = new Set<number>();
  let dayEvents = 0;
  for (const r of input.rows) {
    dayEvents += r.events;
    if (r.events > 0 && input.sideOf(r) === "canary") hours.add(r.hour);
  }
  const sides: Sides = { canary: new Map(), rest: new Map() };
  let canaryEvents = 0;
  let restEvents = 0;
  for (const r of input.rows) {
    if (!hours.has(r.hour)) continue;
    const side = input.sideOf(r);
    if (side === "excluded") continue;
    const by = side === "canary" ? sides.canary : sides.rest;
    by.set(r.action, (by.get(r.action) ?? 0) + r.events);
    if (side === "canary") canaryEvents += r.events;
    else restEvents += r.events;
  }
  const counts = new Map<string, CountMetricDef>();
  for (const m of input.metrics) if (m.kind === "count") counts.set(m.name, m);
  const metrics: CanaryMetricResult[] = [];
  for (const m of input.metrics) {
    if (!isEnforced(m)) continue;
    const t = input.thresholdsOf(m);
    metrics.push(m.kind === "count" ? notJudged(m, t, "count_metric") : judgeRatio(m, counts, sides, t));
  }
  return {
    status: canaryStatus(metrics),
    hours: [...hours].sort((a, b) => a - b),
    canary_events: canaryEvents,
    rest_events: restEvents,
    day_events: dayEvents,
    metrics,
  };
}
