/**
 * Replays a range of days as if each were today (now = the end of that day,
 * nothing stored), so a team can measure how often the guardrails would have
 * fired before enforcing them.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import type { VerdictKind } from "../shared/types.js";
import { UserError } from "../shared/errors.js";
import { addDays, daysBetween, dsRange, dsToEpochMs, isValidDs } from "../shared/dates.js";
import { judgeDay } from "./evaluate.js";
import type { MetricRow } from "./days.js";

export interface BacktestDay {
  ds: string;
  status: VerdictKind;
  /** Guardrail metrics (enforced or report-only) whose verdict is fail. */
  failing: string[];
  /** Guardrail metrics whose verdict is warn. */
  warning: string[];
  /** Versions failing against the rest of the day's traffic. */
  culprit_versions: string[];
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
}

export const MAX_BACKTEST_DAYS = 3660;

export function backtest(db: DB, cfg: DatasetConfig, range: { from: string; to: string }): BacktestResult {
  for (const [flag, v] of [["--from", range.from], ["--to", range.to]] as const)
    if (!isValidDs(v)) throw new UserError(`${flag}: expected a date as YYYY-MM-DD, got "${v}".`);
  if (range.from > range.to) throw new UserError(`--from ${range.from} is after --to ${range.to}; expected from ≤ to.`);
  if (daysBetween(range.from, range.to) >= MAX_BACKTEST_DAYS)
    throw new UserError(`--from/--to: the range spans more than ${MAX_BACKTEST_DAYS} days; split it.`);
  const cache = new Map<number, MetricRow[]>();
  const days = dsRange(range.from, range.to).map((ds): BacktestDay => {
    const e = judgeDay(db, cfg, { ds, now: new Date(dsToEpochMs(addDays(ds, 1))), persist: false, cache });
    const guardrails = e.verdicts.filter((v) => v.guardrail);
    return {
      ds,
      status: e.status,
      failing: guardrails.filter((v) => v.verdict === "fail").map((v) => v.metric),
      warning: guardrails.filter((v) => v.verdict === "warn").map((v) => v.metric),
      culprit_versions: [...new Set(e.versions.filter((v) => v.verdict === "fail").map((v) => v.version))],
    };
  });
  return {
    from: range.from,
    to: range.to,
    days,
    alerts: days.filter((d) => d.failing.length > 0).length,
    warns: days.filter((d) => d.failing.length === 0 && d.warning.length > 0).length,
    unjudged: days.filter((d) => d.status === "no_data" || d.status === "inconclusive").length,
  };
}
