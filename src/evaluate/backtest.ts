/**
 * Replays a range of days as if each were today (now = the end of that day,
 * nothing stored), so a team can measure how often the guardrails would have
 * fired before enforcing them. Every metric is counted, not only guardrails:
 * a count metric that shows red on ordinary days teaches people to ignore
 * the tool just as surely as a false guardrail failure.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { VerdictKind } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { dayClock, daysBetween, dsRange, isValidDs, DS_BOUNDS } from "../shared/dates.js";
import { judgeDay } from "./evaluate.js";
import type { MetricRow } from "../store/metric-values.js";
import { median } from "simple-statistics";

export interface BacktestDay {
  ds: string;
  status: VerdictKind;
  /** Guardrail metrics (enforced or report-only) whose verdict is fail. */
  failing: string[];
  /** Guardrail metrics whose verdict is warn. */
  warning: string[];
  /** Added: every metric (guardrail or not) whose verdict is fail. */
  metrics_failing: string[];
  /** Added: every metric (guardrail or not) whose verdict is warn. */
  metrics_warning: string[];
  /** Versions failing against the rest of the day's traffic. */
  culprit_versions: string[];
}

/** How one metric fared over the range: a false-alarm rate, when the range is known to be clean. */
export interface BacktestMetric {
  metric: string;
  guardrail: boolean;
  enforced: boolean;
  days: number;
  /** Includes the days below the volume minimum (`not_judged`). */
  pass: number;
  warn: number;
  fail: number;
  no_data: number;
  inconclusive: number;
  /** Days that passed only because the volume was below min_denominator. */
  not_judged: number;
  /** warn / judged days (pass + warn + fail − not_judged); null when nothing was judged. */
  warn_rate: number | null;
  fail_rate: number | null;
  /** Added, guardrails: the median over the period of the smallest one-day and 7-day decline that would fail (null: none would). */
  power?: { one_day: number | null; seven_day: number | null } | null;
}

export interface BacktestResult {
  from: string;
  to: string;
  days: BacktestDay[];
  /** Days on which at least one guardrail (report-only ones included) fails. */
  alerts: number;
  /** Days with a guardrail warning and no failure. */
  warns: number;
  /** Days that could not be judged (no_data or inconclusive status). */
  unjudged: number;
  /** Added: warn verdicts over all metrics and days (guardrails and counts). */
  warn_verdicts: number;
  /** Added: fail verdicts over all metrics and days (guardrails and counts). */
  fail_verdicts: number;
  /** Added: per-metric verdict counts, in config order. */
  metrics: BacktestMetric[];
}

export const MAX_BACKTEST_DAYS = 3660;

export function backtest(db: DB, cfg: DatasetConfig, range: { from: string; to: string; asOf?: Date }): BacktestResult {
  for (const [flag, v] of [["--from", range.from], ["--to", range.to]] as const)
    if (!isValidDs(v)) throw new UserError(`${flag}: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${v}".`);
  if (range.from > range.to) throw new UserError(`--from ${range.from} is after --to ${range.to}; expected from ≤ to.`);
  if (daysBetween(range.from, range.to) >= MAX_BACKTEST_DAYS)
    throw new UserError(`--from/--to: the range spans more than ${MAX_BACKTEST_DAYS} days; split it.`);
  const cache = new Map<number, MetricRow[]>();
  const totalsCache = new Map<number, MetricRow[]>();
  const perMetric = new Map<string, BacktestMetric>(
    cfg.metrics.map((m) => [
      m.name,
      { metric: m.name, guardrail: m.guardrail, enforced: m.enforce, days: 0, pass: 0, warn: 0, fail: 0, no_data: 0, inconclusive: 0, not_judged: 0, warn_rate: null, fail_rate: null },
    ]),
  );
  const hourlyCache = new Map<number, Map<string, number[]> | null>();
  const powers = new Map<string, { one: number[]; seven: number[]; judged: number }>();
  const days = dsRange(range.from, range.to).map((ds): BacktestDay => {
    // As if it were the moment day ds ended in the dataset's zone (or --as-of, when that is earlier than the range's end).
    const end = new Date(dayClock(ds, cfg.timezone).end);
    const now = range.asOf && range.asOf < end ? range.asOf : end;
    const e = judgeDay(db, cfg, { ds, now, persist: false, cache, totalsCache, hourlyCache });
    for (const v of e.verdicts) {
      const c = perMetric.get(v.metric);
      if (!c) continue;
      if (v.power) {
        const p = powers.get(v.metric) ?? { one: [], seven: [], judged: 0 };
        p.judged++;
        // A day where no drop would fail counts as 100 %: the median then says "not at this volume" when most days are so.
        p.one.push(v.power.one_day ?? Infinity);
        p.seven.push(v.power.seven_day ?? Infinity);
        powers.set(v.metric, p);
      }
      c.days++;
      c[v.verdict]++;
      if (v.low_volume) c.not_judged++;
    }
    const guardrails = e.verdicts.filter((v) => v.guardrail);
    return {
      ds,
      status: e.status,
      failing: guardrails.filter((v) => v.verdict === "fail").map((v) => v.metric),
      warning: guardrails.filter((v) => v.verdict === "warn").map((v) => v.metric),
      metrics_failing: e.verdicts.filter((v) => v.verdict === "fail").map((v) => v.metric),
      metrics_warning: e.verdicts.filter((v) => v.verdict === "warn").map((v) => v.metric),
      culprit_versions: [...new Set(e.versions.filter((v) => v.verdict === "fail").map((v) => v.version))],
    };
  });
  const metrics = [...perMetric.values()].map((c) => {
    const judged = c.pass + c.warn + c.fail - c.not_judged;
    const p = powers.get(c.metric);
    const med = (xs: number[]) => {
      const m = median(xs);
      return Number.isFinite(m) ? m : null;
    };
    return {
      ...c,
      warn_rate: judged > 0 ? c.warn / judged : null,
      fail_rate: judged > 0 ? c.fail / judged : null,
      ...(c.guardrail ? { power: p && p.judged > 0 ? { one_day: med(p.one), seven_day: med(p.seven) } : null } : {}),
    };
  });
  return {
    from: range.from,
    to: range.to,
    days,
    alerts: days.filter((d) => d.failing.length > 0).length,
    warns: days.filter((d) => d.failing.length === 0 && d.warning.length > 0).length,
    unjudged: days.filter((d) => d.status === "no_data" || d.status === "inconclusive").length,
    warn_verdicts: metrics.reduce((s, c) => s + c.warn, 0),
    fail_verdicts: metrics.reduce((s, c) => s + c.fail, 0),
    metrics,
  };
}
