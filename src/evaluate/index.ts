/**
 * Evaluate (issue 4, docs/verdicts.md): seasonal baseline, verdicts, localisation,
 * version mode, evaluation history and backtest.
 */
import type { DB } from "../store/db.js";
import type { DatasetConfig } from "../config/load.js";
import { judgeDay, type DayEvaluation, type EvaluateOptions } from "./evaluate.js";
import { saveEvaluation } from "../store/evaluations.js";

export type { EvaluateOptions, DayEvaluation, DataState } from "./evaluate.js";
export { STATUS_ORDER, worst, thresholdsOf } from "./evaluate.js";
export { latestEvaluation, latestEvaluationForDay, evaluationById, evaluationHistory, saveEvaluation, type EvaluationSummary } from "../store/evaluations.js";
export { backtest, type BacktestDay, type BacktestResult } from "./backtest.js";

/**
 * Judges one day (default: the newest day with a published or audit-rejected
 * export) and, unless `persist: false`, stores it in the history.
 */
export function evaluateDay(db: DB, cfg: DatasetConfig, opts: EvaluateOptions = {}): DayEvaluation {
  const evaluation = judgeDay(db, cfg, opts);
  // A judgement as of a past time is history re-read, not the current verdict: never stored.
  return opts.persist === false || opts.asOf ? evaluation : saveEvaluation(db, evaluation, opts.now ?? new Date());
}
